#include "support/lost_connections.hpp"

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <new>
#include <set>
#include <thread>

namespace alchemy::test {
namespace {

// The SQLite VFS "alchemy_losable": the default VFS, except that the files open when
// lose() is called fail every I/O from then on.
constexpr const char* losable_vfs_name = "alchemy_losable";

struct LosableFile {
    sqlite3_file base;  // first, so SQLite's sqlite3_file* is a LosableFile*
    sqlite3_file* real;
    std::string path;
    bool lost;
};

std::mutex open_files_mutex;
std::set<LosableFile*> open_files;
sqlite3_vfs* real_vfs = nullptr;

LosableFile& losable(sqlite3_file* file) { return *reinterpret_cast<LosableFile*>(file); }

/// `error` if the file was lost, else what `call` on the real file returns.
template <class Call>
int forward(sqlite3_file* file, int error, Call call) {
    auto& f = losable(file);
    {
        std::lock_guard lock(open_files_mutex);
        if (f.lost) return error;
    }
    return call(f.real);
}

int file_close(sqlite3_file* file) {
    auto& f = losable(file);
    {
        std::lock_guard lock(open_files_mutex);
        open_files.erase(&f);
    }
    const int code = f.real->pMethods ? f.real->pMethods->xClose(f.real) : SQLITE_OK;
    f.path.~basic_string();
    return code;
}

int file_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
    return forward(file, SQLITE_IOERR_READ,
                   [&](sqlite3_file* real) { return real->pMethods->xRead(real, out, amount, offset); });
}

int file_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    return forward(file, SQLITE_IOERR_WRITE,
                   [&](sqlite3_file* real) { return real->pMethods->xWrite(real, data, amount, offset); });
}

int file_truncate(sqlite3_file* file, sqlite3_int64 size) {
    return forward(file, SQLITE_IOERR_TRUNCATE,
                   [&](sqlite3_file* real) { return real->pMethods->xTruncate(real, size); });
}

int file_sync(sqlite3_file* file, int flags) {
    return forward(file, SQLITE_IOERR_FSYNC,
                   [&](sqlite3_file* real) { return real->pMethods->xSync(real, flags); });
}

int file_size(sqlite3_file* file, sqlite3_int64* size) {
    return forward(file, SQLITE_IOERR_FSTAT,
                   [&](sqlite3_file* real) { return real->pMethods->xFileSize(real, size); });
}

int file_lock(sqlite3_file* file, int level) {
    return forward(file, SQLITE_IOERR_LOCK,
                   [&](sqlite3_file* real) { return real->pMethods->xLock(real, level); });
}

int file_unlock(sqlite3_file* file, int level) {
    return forward(file, SQLITE_IOERR_UNLOCK,
                   [&](sqlite3_file* real) { return real->pMethods->xUnlock(real, level); });
}

int file_check_reserved_lock(sqlite3_file* file, int* out) {
    return forward(file, SQLITE_IOERR_CHECKRESERVEDLOCK,
                   [&](sqlite3_file* real) { return real->pMethods->xCheckReservedLock(real, out); });
}

int file_control(sqlite3_file* file, int op, void* arg) {
    auto* real = losable(file).real;
    return real->pMethods->xFileControl(real, op, arg);
}

int file_sector_size(sqlite3_file* file) {
    auto* real = losable(file).real;
    return real->pMethods->xSectorSize(real);
}

int file_device_characteristics(sqlite3_file* file) {
    auto* real = losable(file).real;
    return real->pMethods->xDeviceCharacteristics(real);
}

// Version 1: no shared memory, so the database keeps a rollback journal (no WAL).
const sqlite3_io_methods losable_methods = {
    1,
    file_close,
    file_read,
    file_write,
    file_truncate,
    file_sync,
    file_size,
    file_lock,
    file_unlock,
    file_check_reserved_lock,
    file_control,
    file_sector_size,
    file_device_characteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    auto* f = reinterpret_cast<LosableFile*>(file);
    f->base.pMethods = nullptr;
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->lost = false;
    const int code = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (code != SQLITE_OK) return code;
    new (&f->path) std::string(name ? name : "");
    f->base.pMethods = &losable_methods;
    std::lock_guard lock(open_files_mutex);
    open_files.insert(f);
    return SQLITE_OK;
}

void register_losable_vfs() {
    static sqlite3_vfs vfs = [] {
        real_vfs = sqlite3_vfs_find(nullptr);
        sqlite3_vfs copy = *real_vfs;  // every other method is the default VFS's own
        copy.pNext = nullptr;
        copy.zName = losable_vfs_name;
        copy.szOsFile = static_cast<int>(sizeof(LosableFile)) + real_vfs->szOsFile;
        copy.xOpen = vfs_open;
        return copy;
    }();
    static const int registered = sqlite3_vfs_register(&vfs, 0);
    REQUIRE(registered == SQLITE_OK);
}

/// Fails every I/O of the open files whose path starts with `path` (the database, its
/// journal).
void lose_files(const std::string& path) {
    std::lock_guard lock(open_files_mutex);
    for (auto* file : open_files)
        if (file->path.starts_with(path)) file->lost = true;
}

std::string unique_application_name() {
    static std::atomic<int> counter{0};
    return "alchemy_lost_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

}  // namespace

LosableDatabase::LosableDatabase(const Backend& backend) : backend_(backend) {
    if (backend.is_sqlite()) {
        register_losable_vfs();
        constexpr std::string_view scheme = "sqlite:///";
        REQUIRE(backend.url.starts_with(scheme));
        path_ = backend.url.substr(scheme.size());
        losable_url_ = "sqlite:///file:" + path_ + "?uri=true&vfs=" + losable_vfs_name;
    } else {
        application_name_ = unique_application_name();
        const char separator = backend.url.find('?') == std::string::npos ? '?' : '&';
        losable_url_ = backend.url + separator + "application_name=" + application_name_;
    }
}

Engine LosableDatabase::engine(EngineOptions options) const {
    return create_engine(losable_url_, std::move(options));
}

void LosableDatabase::lose_connections() const {
    if (backend_.is_sqlite()) return lose_files(path_);
    auto killer = observer({.pool_size = 1}).connect();
    killer.set_isolation_level(IsolationLevel::autocommit);
    killer.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name")
                       .bind("name", application_name_));
    // pg_terminate_backend only signals; wait until the backends are gone.
    const auto count = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
                           .bind("name", application_name_)
                           .columns<std::int64_t>();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (killer.execute(count).scalar_one() > 0) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace alchemy::test
