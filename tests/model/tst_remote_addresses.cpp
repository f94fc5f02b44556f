// Remote addresses and listings: hf:// and s3:// resolved as the Hub's and AWS's clients
// resolve them, the tree API's and ListObjectsV2's answers read, secrets kept out of what
// messages show. (The transfers themselves are tested against real servers in
// tests/oracle/test_remote.py.)
#include "model/remote/http_client.h"
#include "model/remote/hub_address.h"
#include "model/remote/location.h"
#include "model/remote/s3_address.h"
#include "model/remote/url_text.h"

#include <QtTest>

using namespace ckpt;

class TestRemoteAddresses final : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void hubAddresses_data();
    void hubAddresses();
    void badHubAddressesAreRefused_data();
    void badHubAddressesAreRefused();
    void s3Addresses();
    void hubTreeKeepsOneFolderLevel();
    void s3ListingPages();
    void displayedAddressesHoldNoSecrets();
    void escapes();
};

void TestRemoteAddresses::init()
{
    qputenv("HF_ENDPOINT", "https://hub.example/");
    qunsetenv("AWS_ENDPOINT_URL");
    qunsetenv("AWS_ENDPOINT_URL_S3");
    qputenv("AWS_REGION", "eu-west-1");
}

void TestRemoteAddresses::hubAddresses_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("tree");
    QTest::newRow("repository") << "hf://org/repo" << "https://hub.example/org/repo/resolve/main/"
                                << "https://hub.example/api/models/org/repo/tree/main";
    QTest::newRow("file") << "hf://org/repo/model.safetensors" << "https://hub.example/org/repo/resolve/main/model.safetensors"
                          << "https://hub.example/api/models/org/repo/tree/main/model.safetensors";
    QTest::newRow("revision and folder") << "hf://org/repo@v1.0/sub/dir/" << "https://hub.example/org/repo/resolve/v1.0/sub/dir"
                                         << "https://hub.example/api/models/org/repo/tree/v1.0/sub/dir";
    // A revision with slashes is one path segment, encoded (the Hub's clients do the same).
    QTest::newRow("pull request") << "hf://org/repo@refs%2Fpr%2F3/a b.bin" << "https://hub.example/org/repo/resolve/refs%2Fpr%2F3/a%20b.bin"
                                  << "https://hub.example/api/models/org/repo/tree/refs%2Fpr%2F3/a%20b.bin";
    QTest::newRow("dataset") << "hf://datasets/org/data/x.npz" << "https://hub.example/datasets/org/data/resolve/main/x.npz"
                             << "https://hub.example/api/datasets/org/data/tree/main/x.npz";
    QTest::newRow("space") << "hf://spaces/org/app/w.pt" << "https://hub.example/spaces/org/app/resolve/main/w.pt"
                           << "https://hub.example/api/spaces/org/app/tree/main/w.pt";
}

void TestRemoteAddresses::hubAddresses()
{
    QFETCH(QString, address);
    QFETCH(QString, file);
    QFETCH(QString, tree);
    auto a = HubAddress::parse(address.toStdString());
    QVERIFY2(a.ok(), a.ok() ? "" : a.error().message.c_str());
    QCOMPARE(QString::fromStdString(a->fileUrl()), file);
    QCOMPARE(QString::fromStdString(a->treeUrl()), tree);
    QVERIFY(isRemoteAddress(address.toStdString()));
}

void TestRemoteAddresses::badHubAddressesAreRefused_data()
{
    QTest::addColumn<QString>("address");
    QTest::newRow("no repository") << "hf://org";
    QTest::newRow("dot dot in the path") << "hf://org/repo/a/../../x";
    QTest::newRow("empty part") << "hf://org/repo/a//b";
    QTest::newRow("odd characters") << "hf://org/re po/x";
    QTest::newRow("empty revision") << "hf://org/repo@/x";
    QTest::newRow("dot dot as org") << "hf://../repo/x";
}

void TestRemoteAddresses::badHubAddressesAreRefused()
{
    QFETCH(QString, address);
    QVERIFY(!HubAddress::parse(address.toStdString()).ok());
}

void TestRemoteAddresses::s3Addresses()
{
    auto a = S3Address::parse("s3://my-bucket/runs/step 10/model.safetensors");
    QVERIFY(a.ok());
    QCOMPARE(QString::fromStdString(a->objectUrl()),
             QString("https://my-bucket.s3.eu-west-1.amazonaws.com/runs/step%2010/model.safetensors"));
    qputenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/");
    QCOMPARE(QString::fromStdString(a->objectUrl()), QString("http://127.0.0.1:9000/my-bucket/runs/step%2010/model.safetensors"));
    // The query in SigV4's canonical order, each value encoded once.
    auto prefix = S3Address::parse("s3://my-bucket/runs");
    QCOMPARE(QString::fromStdString(prefix->listUrl("a/b=")),
             QString("http://127.0.0.1:9000/my-bucket/?continuation-token=a%2Fb%3D&delimiter=%2F&list-type=2&prefix=runs%2F"));
    QVERIFY(!S3Address::parse("s3://ab/x").ok());     // too short a bucket
    QVERIFY(!S3Address::parse("s3://My_Bucket/x").ok()); // not a bucket name
}

void TestRemoteAddresses::hubTreeKeepsOneFolderLevel()
{
    const char *json = R"([{"type":"file","path":"sub/a.safetensors","size":12},
                           {"type":"directory","path":"sub/deeper","size":0},
                           {"type":"file","path":"sub/deeper/b.bin","size":3},
                           {"type":"file","path":"other/c.bin","size":3},
                           {"type":"file","path":"sub/..","size":3}])";
    auto entries = parseHubTree(json, "sub");
    QVERIFY(entries.ok());
    QCOMPARE(entries->size(), size_t(2));
    QCOMPARE(QString::fromStdString((*entries)[0].name), QString("a.safetensors"));
    QCOMPARE((*entries)[0].size, uint64_t(12));
    QVERIFY(!(*entries)[0].folder);
    QCOMPARE(QString::fromStdString((*entries)[1].name), QString("deeper"));
    QVERIFY((*entries)[1].folder);
    QVERIFY(!parseHubTree(R"({"error":"Repository not found"})", "").ok());
    QVERIFY(!parseHubTree(R"([{"type":"file"}])", "").ok());
}

void TestRemoteAddresses::s3ListingPages()
{
    const char *xml = "<ListBucketResult><Prefix>runs/</Prefix><IsTruncated>true</IsTruncated>"
                      "<NextContinuationToken>tok&amp;en</NextContinuationToken>"
                      "<Contents><Key>runs/a&amp;b.safetensors</Key></Contents><Contents><Key>runs/x/deep.bin</Key></Contents>"
                      "<CommonPrefixes><Prefix>runs/step-10/</Prefix></CommonPrefixes></ListBucketResult>";
    auto page = parseS3Listing(xml, "runs/");
    QVERIFY(page.ok());
    QCOMPARE(page->listing.files, std::vector<std::string>{"a&b.safetensors"});
    QCOMPARE(page->listing.folders, std::vector<std::string>{"step-10"});
    QVERIFY(page->truncated);
    QCOMPARE(QString::fromStdString(page->next), QString("tok&en"));
    QVERIFY(!parseS3Listing("<Error><Code>AccessDenied</Code></Error>", "").ok());
}

void TestRemoteAddresses::displayedAddressesHoldNoSecrets()
{
    QCOMPARE(QString::fromStdString(displayAddress("https://user:secret@host.example/a/b.pt?X-Amz-Signature=abc#f")),
             QString("https://host.example/a/b.pt"));
    QCOMPARE(QString::fromStdString(displayAddress("hf://org/repo/x.pt")), QString("hf://org/repo/x.pt"));
    QVERIFY(QString::fromStdString(statusMessage(401)).contains("needs a token"));
    QVERIFY(QString::fromStdString(statusMessage(404)).contains("not found"));
}

void TestRemoteAddresses::escapes()
{
    QCOMPARE(QString::fromStdString(percentDecoded("a%2Fb%zz%4")), QString("a/b%zz%4"));
    QCOMPARE(QString::fromStdString(xmlDecoded("&lt;&amp;&#65;&#x42;&bogus;")), QString("<&AB&bogus;"));
    QCOMPARE(QString::fromStdString(percentEncoded("a b/c~", true)), QString("a%20b/c~"));
    QCOMPARE(QString::fromStdString(percentEncoded("a b/c~", false)), QString("a%20b%2Fc~"));
    QCOMPARE(QString::fromStdString(joinLocation("hf://org/repo/", "x")), QString("hf://org/repo/x"));
    QCOMPARE(QString::fromStdString(joinLocation("s3://b/p", "x")), QString("s3://b/p/x"));
}

QTEST_GUILESS_MAIN(TestRemoteAddresses)
#include "tst_remote_addresses.moc"
