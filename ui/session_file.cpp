#include "session_file.h"

#include "model/base/atomic_file.h"
#include "model/rules/rule_config.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace ckpt {
namespace {

constexpr int kVersion = 1;
constexpr qint64 kMaxSize = 64 << 20; // a session is small; anything bigger is not one
const char *const kModes[] = {"text", "glob", "regex"};

QString optionalPath(const QJsonValue &v, const char *key, QString *error)
{
    if (v.isNull() || v.isUndefined()) return {};
    if (!v.isString() || v.toString().isEmpty()) *error = QStringLiteral("%1: expected a path or null").arg(key);
    return v.toString();
}

} // namespace

std::optional<Session> readSession(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return std::nullopt;
    }
    if (file.size() > kMaxSize) {
        *error = QStringLiteral("not a session (%1 bytes)").arg(file.size());
        return std::nullopt;
    }
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parse);
    if (parse.error != QJsonParseError::NoError) {
        *error = QStringLiteral("not valid JSON (%1 at byte %2)").arg(parse.errorString()).arg(parse.offset);
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    if (!doc.isObject() || o.value("ckpt_session").toInt(-1) != kVersion) {
        *error = QStringLiteral("not a Checkpoint Studio session (no \"ckpt_session\": %1)").arg(kVersion);
        return std::nullopt;
    }
    static const QStringList known = {"ckpt_session", "checkpoint", "rules", "target", "diff", "filter", "flat", "layout"};
    for (const QString &key : o.keys())
        if (!known.contains(key)) {
            *error = QStringLiteral("%1: unknown field").arg(key);
            return std::nullopt;
        }
    Session s;
    if (!o.value("checkpoint").isString() || o.value("checkpoint").toString().isEmpty()) {
        *error = QStringLiteral("checkpoint: expected a path");
        return std::nullopt;
    }
    s.checkpoint = o.value("checkpoint").toString();
    if (o.contains("rules")) {
        if (!o.value("rules").isObject()) {
            *error = QStringLiteral("rules: expected a config object");
            return std::nullopt;
        }
        const QByteArray text = QJsonDocument(o.value("rules").toObject()).toJson(QJsonDocument::Compact);
        auto rules = parseConfig(text.toStdString(), ConfigFormat::Json);
        if (!rules) {
            *error = QStringLiteral("rules: %1").arg(QString::fromStdString(rules.error().message));
            return std::nullopt;
        }
        s.rules = std::move(*rules);
    }
    s.target = optionalPath(o.value("target"), "target", error);
    s.diff = optionalPath(o.value("diff"), "diff", error);
    if (!error->isEmpty()) return std::nullopt;
    if (o.contains("filter")) {
        const QJsonObject f = o.value("filter").toObject();
        s.filter = f.value("pattern").toString();
        const QString mode = f.value("mode").toString("text");
        s.filterMode = -1;
        for (int m = 0; m < 3; ++m)
            if (mode == kModes[m]) s.filterMode = m;
        if (!o.value("filter").isObject() || !f.value("pattern").isString() || s.filterMode < 0) {
            *error = QStringLiteral("filter: expected {\"pattern\": text, \"mode\": \"text\" | \"glob\" | \"regex\"}");
            return std::nullopt;
        }
    }
    if (o.contains("flat") && !o.value("flat").isBool()) {
        *error = QStringLiteral("flat: expected true or false");
        return std::nullopt;
    }
    s.flat = o.value("flat").toBool();
    if (o.contains("layout")) {
        if (!o.value("layout").isString()) {
            *error = QStringLiteral("layout: expected base64 text");
            return std::nullopt;
        }
        auto decoded = QByteArray::fromBase64Encoding(o.value("layout").toString().toLatin1(),
                                                      QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded) {
            *error = QStringLiteral("layout: not base64");
            return std::nullopt;
        }
        s.layout = *decoded;
    }
    return s;
}

bool writeSession(const QString &path, const Session &s, QString *error)
{
    QJsonObject o;
    o["ckpt_session"] = kVersion;
    o["checkpoint"] = s.checkpoint;
    o["rules"] = QJsonDocument::fromJson(QByteArray::fromStdString(writeRules(s.rules, ConfigFormat::Json))).object();
    o["target"] = s.target.isEmpty() ? QJsonValue() : QJsonValue(s.target);
    o["diff"] = s.diff.isEmpty() ? QJsonValue() : QJsonValue(s.diff);
    o["filter"] = QJsonObject{{"pattern", s.filter}, {"mode", kModes[std::clamp(s.filterMode, 0, 2)]}};
    o["flat"] = s.flat;
    o["layout"] = QString::fromLatin1(s.layout.toBase64());
    const auto written = writeFileAtomically(path.toStdString(), QJsonDocument(o).toJson().toStdString());
    if (!written) *error = QString::fromStdString(written.error().message);
    return bool(written);
}

} // namespace ckpt
