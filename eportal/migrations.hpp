// Numbered schema migrations for the SQLite store. schema_version holds the
// number of the last applied step; each step runs in its own transaction, so
// a crash mid-upgrade leaves the previous version intact. Never edit a
// released step: append a new one.
#pragma once

#include "common/error.hpp"
#include "eportal/sqlite_db.hpp"

namespace lp::eportal {

// The schema version this build writes.
int LatestSchemaVersion();

// Current version of db (0 for a fresh file).
Expected<int> SchemaVersion(Db& db);

// Applies every step above the current version. Refuses a database newer
// than this build (a downgrade would silently drop columns it does not know).
Status Migrate(Db& db);

}  // namespace lp::eportal
