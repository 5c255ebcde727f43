// schema.cpp: the schema's migrations (v1 to v4) and the migration runner.
#include "store/schema.h"

#include "common/error.h"
#include "store/sqlite.h"

#include <string>

namespace ft::store {

namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE datasets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    source      TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE labels (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    UNIQUE (dataset_id, name)
);
CREATE TABLE examples (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    text        TEXT,
    text_b      TEXT,
    image_path  TEXT,
    label_id    INTEGER REFERENCES labels(id) ON DELETE SET NULL,
    split       TEXT NOT NULL DEFAULT 'train'
                CHECK (split IN ('train', 'validation', 'test', 'unassigned')),
    source_file TEXT,
    source_line INTEGER
);
CREATE INDEX examples_by_dataset ON examples (dataset_id, split);
CREATE INDEX examples_by_label ON examples (label_id);
CREATE TABLE models (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    architecture    TEXT NOT NULL,
    path            TEXT NOT NULL,
    num_parameters  INTEGER,
    config_json     TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    dataset_id   INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
    model_id     INTEGER REFERENCES models(id) ON DELETE SET NULL,
    config_json  TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'paused', 'completed',
                                  'failed', 'cancelled', 'interrupted')),
    device       TEXT,
    error        TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    started_at   TEXT,
    finished_at  TEXT
);
CREATE TABLE metrics (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    step    INTEGER NOT NULL,
    epoch   REAL,
    value   REAL NOT NULL,
    PRIMARY KEY (run_id, name, step)
) WITHOUT ROWID;
CREATE TABLE checkpoints (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    path        TEXT NOT NULL,
    is_best     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (run_id, step)
);
CREATE TABLE exports (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    format        TEXT NOT NULL,
    path          TEXT NOT NULL,
    details_json  TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
)sql";

// v2: a run's capsule: what makes it reproducible (data, tokenizer and model
// hashes, versions), written when the run starts.
constexpr std::string_view kSchemaV2 = "ALTER TABLE runs ADD COLUMN capsule_json TEXT;";

// v3: the column mapping a user chose on import, by the file's column names
// (its "shape", a JSON array), so the next file of that shape maps the same.
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE column_mappings (
    shape             TEXT PRIMARY KEY,
    text_column       TEXT,
    text_pair_column  TEXT,
    label_column      TEXT,
    split_column      TEXT,
    image_column      TEXT,
    updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
)sql";

// v4: indexes that answer a big dataset's summaries without reading its
// rows' pages (texts and all): examples per label and split (the label
// breakdown, a second of reading at a million rows without it), and the
// examples with a text pair (a partial index holding only those).
constexpr std::string_view kSchemaV4 = R"sql(
CREATE INDEX examples_by_dataset_label ON examples (dataset_id, label_id, split);
CREATE INDEX examples_with_pair ON examples (dataset_id) WHERE text_b IS NOT NULL;
)sql";

// v5: each metric point's wall time (training seconds since the run started,
// over all its sessions), for the charts' wall-time axis.
constexpr std::string_view kSchemaV5 = "ALTER TABLE metrics ADD COLUMN wall_s REAL;";

constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kSchemaV2},
    {3, kSchemaV3},
    {4, kSchemaV4},
    {5, kSchemaV5},
};

} // namespace

std::span<const Migration> migrations()
{
    return kMigrations;
}

int currentSchemaVersion()
{
    return migrations().back().toVersion;
}

void migrate(sql::Database &db, std::span<const Migration> steps)
{
    sql::Transaction transaction(db);
    const int from = static_cast<int>(db.queryInt("PRAGMA user_version"));
    int version = from;
    for (const Migration &step : steps) {
        if (step.toVersion <= from)
            continue;
        if (step.toVersion != version + 1)
            throw Error(ErrorKind::Internal, "migration to schema v" + std::to_string(step.toVersion)
                                                 + " does not follow v" + std::to_string(version));
        db.exec(step.sql);
        version = step.toVersion;
    }
    if (version != from)
        db.exec("PRAGMA user_version = " + std::to_string(version));
    transaction.commit();
}

} // namespace ft::store
