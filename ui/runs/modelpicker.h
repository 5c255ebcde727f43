// modelpicker.h: the run dialog's choices that hang on the base model: each model's family and
// what it trains (tasks, methods), the method and task items a family lacks greyed out, the
// problem an invalid combination shows, and the teacher picker for distillation (the project's
// completed runs with a model).
#pragma once

#include "train/run_config.h"

#include <QString>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

class QComboBox;
class QWidget;

namespace ft {
class Project;
struct ModelFamily;
}

namespace ft::ui {

// Item data of the dataset and model boxes: whether it holds (or classifies) images.
inline constexpr int kImagesRole = Qt::UserRole + 1;
// Item data of the model box: config.json's model_type ("" when unreadable).
inline constexpr int kModelTypeRole = Qt::UserRole + 2;

// config.json's model_type of a model source ("scratch:CONFIG" or a folder), or empty when it cannot be read.
std::string modelTypeOf(const std::string &model);
// What training the base model takes: for a text model the memory estimate of `config` with these
// labels (and a warning beyond this machine's memory); for an image classifier its size, as memory is
// estimated for text models only. "No estimate: why" when the config cannot be read.
QString modelEstimate(const std::string &model, bool images, const std::vector<std::string> &labels,
                      const RunConfig &config);

// "GPT-2 · tasks: classification, causal-lm · methods: full, freeze, lora"; says so for an unknown type.
QString familySummary(const std::string &modelType);
// Adds a base model (unless there) with its family's summary as tooltip; returns its index.
int addModelItem(QComboBox *models, const QString &name, const std::string &model);
// The family of the chosen base model, or null.
const ModelFamily *chosenFamily(const QComboBox *models);

// Greys out the methods and tasks `family` does not train, saying why; null enables them all.
void restrictToFamily(QComboBox *method, QComboBox *task, const ModelFamily *family);
// Why `config` cannot train a model of `family` (named `model` for people), or empty.
QString familyProblem(const RunConfig &config, const ModelFamily *family, const QString &model);

// The teacher picker: "None" (0), then the project's completed runs with a model, newest first,
// each with its family, layers and accuracy; the item data is the run id.
QComboBox *makeTeacherBox(Project &project, QWidget *parent);
// Selects run `runId` (adds it, marked as unavailable, when the project has no such finished run).
void selectTeacher(QComboBox *teachers, std::int64_t runId);
// The folder of a run's final model, which a student is made from.
std::filesystem::path teacherModelFolder(const Project &project, std::int64_t runId);
// Why `runId` cannot teach with the base model `model`, or empty (0: no distillation).
QString teacherProblem(const Project &project, std::int64_t runId, const std::string &model);

} // namespace ft::ui
