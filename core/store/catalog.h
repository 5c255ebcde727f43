// catalog.h: the models, runs and exports a project records, as the studio's
// pages and `project info` list them. Training and export add the writers
// they need on top of these records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ft {

class Project;

struct ModelRecord {
    std::int64_t id = 0;
    std::string name;
    std::string architecture;
    std::string path;
    std::optional<std::int64_t> numParameters;
    std::string createdAt;
};

struct RunRecord {
    std::int64_t id = 0;
    std::string name;
    std::string dataset; // empty when the dataset was deleted
    std::string model;
    std::string state;
    std::string device;
    std::string createdAt;
    std::string finishedAt;
};

struct ExportRecord {
    std::int64_t id = 0;
    std::optional<std::int64_t> runId;
    std::string format;
    std::string path;        // relative to the project folder when inside it
    std::string createdAt;
    std::string detailsJson; // files, sizes and the export's check (export/run_export.h)
};

std::int64_t addModel(Project &project, const ModelRecord &model, const std::string &configJson);
std::vector<ModelRecord> listModels(Project &project);
std::vector<RunRecord> listRuns(Project &project);
std::vector<ExportRecord> listExports(Project &project);
std::int64_t addExport(Project &project, const ExportRecord &record); // returns its id

} // namespace ft
