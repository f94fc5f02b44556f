#include "app/hdf5_reader/hdf5_walk.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <functional>
#include <optional>
#include <set>
#include <stdexcept>

namespace ckpt {
namespace {

/// An HDF5 identifier closed with its own close function.
class Id
{
public:
    Id(hid_t id, herr_t (*close)(hid_t)) : m_id(id), m_close(close) {}
    ~Id()
    {
        if (m_id >= 0) m_close(m_id);
    }
    Id(const Id &) = delete;
    Id &operator=(const Id &) = delete;
    operator hid_t() const { return m_id; }
    bool ok() const { return m_id >= 0; }

private:
    hid_t m_id;
    herr_t (*m_close)(hid_t);
};

/// libhdf5's reason for the last failure: the innermost message of its error stack.
std::string lastError()
{
    std::string message;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_DOWNWARD,
        [](unsigned, const H5E_error2_t *e, void *out) -> herr_t {
            if (e->desc && *e->desc) *static_cast<std::string *>(out) = e->desc;
            return 0;
        },
        &message);
    H5Eclear2(H5E_DEFAULT);
    return message.empty() ? "libhdf5 gives no reason" : message;
}

Hdf5Catalog::Type typeOf(hid_t t)
{
    Hdf5Catalog::Type out;
    out.size = uint32_t(H5Tget_size(t));
    out.bigEndian = H5Tget_order(t) == H5T_ORDER_BE;
    switch (H5Tget_class(t)) {
    case H5T_FLOAT: {
        out.kind = "float";
        size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
        if (H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) >= 0) {
            out.exponentBits = uint32_t(esize);
            out.mantissaBits = uint32_t(msize);
        }
        out.text = std::to_string(out.size * 8) + "-bit float";
        break;
    }
    case H5T_INTEGER:
        out.kind = "integer";
        out.isSigned = H5Tget_sign(t) == H5T_SGN_2;
        out.text = std::string(out.isSigned ? "" : "unsigned ") + std::to_string(out.size * 8) + "-bit integer";
        break;
    case H5T_ENUM: {
        // h5py stores a NumPy bool as an enum {FALSE: 0, TRUE: 1} of int8.
        const int n = H5Tget_nmembers(t);
        bool boolean = n == 2 && out.size == 1;
        for (unsigned i = 0; boolean && i < 2; ++i) {
            char *name = H5Tget_member_name(t, i);
            boolean = name && std::string(name) == (i == 0 ? "FALSE" : "TRUE");
            if (name) H5free_memory(name);
        }
        out.kind = boolean ? "bool" : "other";
        out.text = boolean ? "bool (enum FALSE/TRUE)" : "an enum of " + std::to_string(n) + " members";
        break;
    }
    case H5T_OPAQUE: {
        out.kind = "opaque";
        char *tag = H5Tget_tag(t);
        out.text = std::to_string(out.size) + "-byte opaque" + (tag && *tag ? std::string(" \"") + tag + "\"" : "");
        if (tag) H5free_memory(tag);
        break;
    }
    case H5T_STRING:
        out.kind = "string";
        out.text = H5Tis_variable_str(t) > 0 ? "variable-length string" : std::to_string(out.size) + "-byte string";
        break;
    case H5T_COMPOUND: out.kind = "other"; out.text = "a compound of " + std::to_string(H5Tget_nmembers(t)) + " fields"; break;
    case H5T_ARRAY: out.kind = "other"; out.text = "an array type"; break;
    case H5T_VLEN: out.kind = "other"; out.text = "a variable-length sequence"; break;
    case H5T_REFERENCE: out.kind = "other"; out.text = "a reference"; break;
    default: out.kind = "other"; out.text = "a type libhdf5 names class " + std::to_string(int(H5Tget_class(t))); break;
    }
    return out;
}

constexpr uint64_t kMaxAttributeBytes = uint64_t(16) << 20;
constexpr hssize_t kMaxAttributeNumbers = 1 << 16;

/// An attribute's value as the catalog keeps it (strings, numbers and lists of them); nullopt
/// when it is of another type or too big to be metadata.
std::optional<std::string> attributeValue(hid_t attribute)
{
    const Id type(H5Aget_type(attribute), H5Tclose);
    const Id space(H5Aget_space(attribute), H5Sclose);
    if (!type.ok() || !space.ok()) return std::nullopt;
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    const bool scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR;
    if (n < 0) return std::nullopt;
    const size_t size = H5Tget_size(type);
    if (n == 0) return hdf5AttributeIntegers({}, false); // an empty list (Keras's weight_names of a layer without weights)
    switch (H5Tget_class(type)) {
    case H5T_STRING: {
        std::vector<std::string> values;
        if (H5Tis_variable_str(type) > 0) {
            if (uint64_t(n) > kMaxAttributeNumbers) return std::nullopt;
            const Id memory(H5Tcopy(H5T_C_S1), H5Tclose);
            H5Tset_size(memory, H5T_VARIABLE);
            H5Tset_cset(memory, H5Tget_cset(type));
            std::vector<char *> texts(static_cast<size_t>(n), nullptr);
            if (H5Aread(attribute, memory, texts.data()) < 0) return std::nullopt;
            for (char *s : texts) values.push_back(s ? std::string(s) : std::string());
            H5Dvlen_reclaim(memory, space, H5P_DEFAULT, texts.data());
        } else {
            if (size == 0 || uint64_t(n) * size > kMaxAttributeBytes) return std::nullopt;
            std::vector<char> bytes(size_t(n) * size);
            if (H5Aread(attribute, type, bytes.data()) < 0) return std::nullopt;
            for (hssize_t i = 0; i < n; ++i) {
                std::string s(bytes.data() + size_t(i) * size, size);
                s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
                values.push_back(std::move(s));
            }
        }
        return hdf5AttributeTexts(values, scalar);
    }
    case H5T_INTEGER:
    case H5T_ENUM:
    case H5T_FLOAT: {
        if (n > kMaxAttributeNumbers) return std::nullopt;
        if (H5Tget_class(type) == H5T_FLOAT) {
            std::vector<double> v(static_cast<size_t>(n));
            if (H5Aread(attribute, H5T_NATIVE_DOUBLE, v.data()) < 0) return std::nullopt;
            return hdf5AttributeReals(v, scalar);
        }
        std::vector<long long> v(static_cast<size_t>(n));
        if (H5Aread(attribute, H5T_NATIVE_LLONG, v.data()) < 0) return std::nullopt;
        return hdf5AttributeIntegers(v, scalar);
    }
    default: return std::nullopt;
    }
}

std::map<std::string, std::string> attributesOf(hid_t object, const std::string &where, std::vector<std::string> &warnings)
{
    struct Context
    {
        std::map<std::string, std::string> out;
        std::vector<std::string> skipped;
    } context;
    H5Aiterate2(
        object, H5_INDEX_NAME, H5_ITER_INC, nullptr,
        [](hid_t location, const char *name, const H5A_info_t *, void *data) -> herr_t {
            auto &c = *static_cast<Context *>(data);
            const Id attribute(H5Aopen(location, name, H5P_DEFAULT), H5Aclose);
            const auto value = attribute.ok() ? attributeValue(attribute) : std::nullopt;
            if (!value) c.skipped.push_back(name);
            else c.out[name] = *value;
            return c.out.size() + c.skipped.size() < 4096 ? 0 : 1;
        },
        &context);
    H5Eclear2(H5E_DEFAULT);
    for (const auto &name : context.skipped)
        warnings.push_back((where.empty() ? std::string("/") : where) + ": attribute " + name + " not read (not text or numbers, or too big)");
    return std::move(context.out);
}

std::string filterName(H5Z_filter_t id)
{
    switch (id) {
    case H5Z_FILTER_DEFLATE: return "deflate";
    case H5Z_FILTER_SHUFFLE: return "shuffle";
    case H5Z_FILTER_FLETCHER32: return "fletcher32";
    case H5Z_FILTER_SZIP: return "szip";
    case H5Z_FILTER_NBIT: return "nbit";
    case H5Z_FILTER_SCALEOFFSET: return "scaleoffset";
    default: return "filter " + std::to_string(id);
    }
}

class Walker
{
public:
    explicit Walker(hid_t file) : m_file(file) {}

    Hdf5Catalog run()
    {
        m_catalog.groups.push_back({"", attributesOf(m_file, "", m_catalog.warnings)});
        const herr_t walked = H5Lvisit(m_file, H5_INDEX_NAME, H5_ITER_INC, &Walker::visit, this);
        if (m_tooMany) throw std::runtime_error("more than " + std::to_string(Hdf5Walk::kMaxLinks) + " links, which no checkpoint has");
        if (walked < 0) throw std::runtime_error("its groups cannot be listed: " + lastError());
        return std::move(m_catalog);
    }

private:
    static herr_t visit(hid_t group, const char *name, const H5L_info_t *info, void *self)
    {
        return static_cast<Walker *>(self)->link(group, name, *info);
    }

    herr_t link(hid_t group, const char *name, const H5L_info_t &info)
    {
        if (++m_links > Hdf5Walk::kMaxLinks) {
            m_tooMany = true;
            return -1;
        }
        const std::string path(name);
        if (info.type != H5L_TYPE_HARD) {
            m_catalog.warnings.push_back(path + (info.type == H5L_TYPE_SOFT ? ": a soft" : ": an external") + " link, not followed");
            return 0;
        }
        H5O_info_t object;
        if (H5Oget_info_by_name2(group, name, &object, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
            m_catalog.warnings.push_back(path + ": " + lastError());
            return 0;
        }
        if (!m_seen.insert(object.addr).second) {
            m_catalog.warnings.push_back(path + ": a second link to an object listed already, skipped");
            return 0;
        }
        if (object.type == H5O_TYPE_GROUP) {
            const Id g(H5Gopen2(group, name, H5P_DEFAULT), H5Gclose);
            if (g.ok()) m_catalog.groups.push_back({path, attributesOf(g, path, m_catalog.warnings)});
            else m_catalog.warnings.push_back(path + ": " + lastError());
        } else if (object.type == H5O_TYPE_DATASET) {
            dataset(group, name, path);
        } else {
            m_catalog.warnings.push_back(path + ": a named type or other object, not data");
        }
        return 0;
    }

    void dataset(hid_t group, const char *name, const std::string &path)
    {
        const Id d(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose);
        if (!d.ok()) {
            m_catalog.warnings.push_back(path + ": " + lastError());
            return;
        }
        Hdf5Catalog::Dataset out;
        out.path = path;
        const Id type(H5Dget_type(d), H5Tclose);
        const Id space(H5Dget_space(d), H5Sclose);
        const Id create(H5Dget_create_plist(d), H5Pclose);
        if (!type.ok() || !space.ok() || !create.ok()) {
            m_catalog.warnings.push_back(path + ": " + lastError());
            return;
        }
        out.type = typeOf(type);
        const H5S_class_t spaceClass = H5Sget_simple_extent_type(space);
        out.null = spaceClass == H5S_NULL;
        if (spaceClass == H5S_SIMPLE) {
            const int rank = H5Sget_simple_extent_ndims(space);
            std::vector<hsize_t> dims(size_t(std::max(rank, 0)));
            if (rank < 0 || H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) {
                m_catalog.warnings.push_back(path + ": " + lastError());
                return;
            }
            out.shape.assign(dims.begin(), dims.end());
        }
        const bool external = H5Pget_external_count(create) > 0;
        switch (H5Pget_layout(create)) {
        case H5D_CONTIGUOUS: out.layout = external ? "external" : "contiguous"; break;
        case H5D_COMPACT: out.layout = "compact"; break;
        case H5D_CHUNKED: out.layout = "chunked"; break;
        case H5D_VIRTUAL: out.layout = "virtual"; break;
        default: out.layout = "unknown"; break;
        }
        const int filters = H5Pget_nfilters(create);
        for (int i = 0; i < filters; ++i) {
            unsigned flags = 0, config = 0;
            size_t values = 0;
            char label[64];
            out.filters.push_back(filterName(H5Pget_filter2(create, unsigned(i), &flags, &values, nullptr, sizeof label, label, &config)));
        }
        out.storageBytes = H5Dget_storage_size(d);
        out.attributes = attributesOf(d, path, m_catalog.warnings);
        if (out.layout == "contiguous") {
            const haddr_t at = H5Dget_offset(d);
            if (at != HADDR_UNDEF) out.offset = uint64_t(at);
            H5Eclear2(H5E_DEFAULT);
        }
        if (!out.offset) read(d, type, out);
        m_catalog.datasets.push_back(std::move(out));
    }

    /// The elements of a dataset that do not lie unfiltered at one offset, as stored (no type
    /// conversion), when they are small enough. Never for data kept in other files (external
    /// storage, virtual datasets): reading those would open files the checkpoint names.
    void read(hid_t d, hid_t type, Hdf5Catalog::Dataset &out)
    {
        if (out.null || out.layout == "external" || out.layout == "virtual" || out.layout == "unknown") return;
        if (out.type.kind == "string" || out.type.kind == "other" || out.type.size == 0) return;
        uint64_t bytes = out.type.size;
        for (uint64_t dim : out.shape) {
            if (dim != 0 && bytes > Hdf5Walk::kMaxReadBytes / dim) return;
            bytes *= dim;
        }
        if (bytes > Hdf5Walk::kMaxReadBytes || m_readBytes + bytes > 2 * Hdf5Walk::kMaxReadBytes) {
            m_catalog.warnings.push_back(out.path + ": " + std::to_string(bytes) + " bytes stored " + out.layout +
                                         ", more than the helper passes along; not read");
            return;
        }
        std::vector<uint8_t> data(static_cast<size_t>(bytes));
        if (bytes > 0 && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
            m_catalog.warnings.push_back(out.path + ": its data cannot be read: " + lastError());
            return;
        }
        m_readBytes += bytes;
        out.data = std::move(data);
        out.dataRead = true;
    }

    hid_t m_file;
    Hdf5Catalog m_catalog;
    std::set<haddr_t> m_seen;
    size_t m_links = 0;
    bool m_tooMany = false;
    uint64_t m_readBytes = 0;
};

void quietLibrary()
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    H5PLset_loading_state(0); // a file's filter ids never load code
}

Hdf5Catalog walk(hid_t file)
{
    const Id f(file, H5Fclose);
    if (!f.ok()) throw std::runtime_error("cannot open it: " + lastError());
    return Walker(f).run();
}

} // namespace

Hdf5Catalog Hdf5Walk::ofFile(const std::string &path)
{
    quietLibrary();
    return walk(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
}

Hdf5Catalog Hdf5Walk::ofImage(void *bytes, size_t size)
{
    quietLibrary();
    return walk(H5LTopen_file_image(bytes, size, H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE));
}

} // namespace ckpt
