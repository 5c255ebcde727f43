// catalog.cpp: listing models, runs and exports.
#include "store/catalog.h"

#include "store/project.h"
#include "store/sqlite.h"

namespace ft {

std::int64_t addModel(Project &project, const ModelRecord &model, const std::string &configJson)
{
    auto &db = project.database();
    sql::Statement(db, "INSERT INTO models (name, architecture, path, num_parameters, config_json) VALUES (?, ?, ?, ?, ?)")
        .bind(1, model.name)
        .bind(2, model.architecture)
        .bind(3, model.path)
        .bind(4, model.numParameters)
        .bind(5, configJson)
        .run();
    return db.lastInsertRowId();
}

std::vector<ModelRecord> listModels(Project &project)
{
    sql::Statement query(project.database(),
                         "SELECT id, name, architecture, path, num_parameters, created_at FROM models ORDER BY id");
    std::vector<ModelRecord> result;
    while (query.step()) {
        ModelRecord model{query.int64(0), query.text(1), query.text(2), query.text(3), std::nullopt, query.text(5)};
        if (!query.isNull(4))
            model.numParameters = query.int64(4);
        result.push_back(std::move(model));
    }
    return result;
}

std::vector<RunRecord> listRuns(Project &project)
{
    sql::Statement query(project.database(), R"sql(
        SELECT r.id, r.name, coalesce(d.name, ''), coalesce(m.name, ''), r.state, coalesce(r.device, ''),
               r.created_at, coalesce(r.finished_at, '')
        FROM runs r LEFT JOIN datasets d ON d.id = r.dataset_id LEFT JOIN models m ON m.id = r.model_id
        ORDER BY r.id)sql");
    std::vector<RunRecord> result;
    while (query.step()) {
        result.push_back({query.int64(0), query.text(1), query.text(2), query.text(3), query.text(4), query.text(5),
                          query.text(6), query.text(7)});
    }
    return result;
}

std::vector<ExportRecord> listExports(Project &project)
{
    sql::Statement query(project.database(),
                         "SELECT id, run_id, format, path, created_at, coalesce(details_json, '') FROM exports ORDER BY id");
    std::vector<ExportRecord> result;
    while (query.step()) {
        ExportRecord record{query.int64(0), std::nullopt, query.text(2), query.text(3), query.text(4), query.text(5)};
        if (!query.isNull(1))
            record.runId = query.int64(1);
        result.push_back(std::move(record));
    }
    return result;
}

std::int64_t addExport(Project &project, const ExportRecord &record)
{
    sql::Statement insert(project.database(), "INSERT INTO exports (run_id, format, path, details_json) VALUES (?, ?, ?, ?)");
    insert.bind(1, record.runId).bind(2, record.format).bind(3, record.path).bind(4, record.detailsJson).run();
    return project.database().lastInsertRowId();
}

} // namespace ft
