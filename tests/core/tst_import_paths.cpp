// tst_import_paths.cpp: files an import reads stay inside the dataset's
// folder (the data file's folder, or the folder imported). Image paths that
// climb out with "..", absolute paths, and symbolic links inside the folder
// whose target lies outside it (a file, or a folder on the way) are refused,
// each as an error naming its row or file. A link the user picked, the folder
// imported or the data file's folder itself, is followed.
#include "common/error.h"
#include "data/dataset_import.h"
#include "store/datasets.h"
#include "store/project.h"
#include "tempproject.h"
#include "testhelpers.h"
#include "testregistry.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <fstream>

namespace fs = std::filesystem;
using namespace ft;
using ft::test::toPath;

namespace {

const fs::path kImages = fs::path(FT_TEST_DATA_DIR) / "import-corpus" / "images";

// "line: reason" or "file: reason" of each rejected row.
QStringList rejected(const ImportResult &result, const fs::path &root)
{
    QStringList lines;
    for (const RowError &error : result.errors) {
        const std::string where = error.line > 0 ? std::to_string(error.line)
                                                 : fs::path(error.file).lexically_relative(root).generic_string();
        lines << QString::fromStdString(where + ": " + error.reason);
    }
    return lines;
}

QStringList keptImages(Project &project, std::int64_t datasetId)
{
    QStringList paths;
    for (const Example &example : examples(project, datasetId, 0, 100))
        paths << QString::fromStdString(example.imagePath.value_or("(none)"));
    paths.sort();
    return paths;
}

// A folder outside the dataset with a readable image and a "secret" text file.
struct Outside {
    fs::path folder;
    explicit Outside(const fs::path &at) : folder(at)
    {
        fs::create_directories(folder / "dir");
        fs::copy_file(kImages / "gray.bmp", folder / "secret.bmp");
        fs::copy_file(kImages / "gray.bmp", folder / "dir" / "secret.bmp");
        std::ofstream(folder / "secret.txt") << "a secret outside the dataset\n";
    }
};

} // namespace

class ImportPathsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void imageColumnPathsStayInside()
    {
        QTemporaryDir dir;
        const fs::path base = toPath(dir.path());
        const Outside outside(base / "outside");
        const fs::path data = base / "data";
        fs::create_directories(data / "images");
        fs::copy_file(kImages / "red.png", data / "images" / "red.png");
        fs::create_symlink("red.png", data / "images" / "inside_link.png");           // stays inside: fine
        fs::create_symlink(outside.folder / "secret.bmp", data / "images" / "escape.bmp"); // file link out
        fs::create_symlink(outside.folder / "dir", data / "linked_dir");                  // folder link out
        std::ofstream(data / "list.csv") << "image,label\n"
                                            "images/red.png,a\n"                          // line 2
                                            "../outside/secret.bmp,a\n"                   // 3
                                            "images/../../outside/secret.bmp,a\n"         // 4
                                            << outside.folder.string() << "/secret.bmp,a\n" // 5
                                            "../../../../../../etc/passwd,a\n"            // 6
                                            "images/escape.bmp,b\n"                       // 7
                                            "linked_dir/secret.bmp,b\n"                   // 8
                                            "images/inside_link.png,b\n"                  // 9
                                            "images/./red.png,b\n";                       // 10

        const QString root = QString::fromStdString(data.string());
        const QString real = QString::fromStdString(fs::canonical(outside.folder).string());
        const QStringList expected = {
            "3: image '../outside/secret.bmp' leads outside " + root,
            "4: image 'images/../../outside/secret.bmp' leads outside " + root,
            "5: image '" + QString::fromStdString(outside.folder.string()) +
                "/secret.bmp' is an absolute path; it must be relative to " + root,
            "6: image '../../../../../../etc/passwd' leads outside " + root,
            "7: image 'images/escape.bmp' is a symbolic link to " + real + "/secret.bmp, outside " + root,
            "8: image 'linked_dir/secret.bmp' leads through a symbolic link to " + real + "/dir/secret.bmp, outside " +
                root,
        };

        QTemporaryDir projectDir;
        Project project = Project::create(toPath(projectDir.filePath("project")));
        ImportOptions options;
        options.file = data / "list.csv";
        options.datasetName = "direct";
        const ImportResult result = importDataset(project, options);
        QCOMPARE(rejected(result, data), expected);
        QCOMPARE(result.rows, std::int64_t{3});
        for (const RowError &error : result.errors)
            QCOMPARE(error.file, options.file.string()); // the row's file is the CSV, its line the row
        QCOMPARE(keptImages(project, result.datasetId),
                 (QStringList{"images/inside_link.png", "images/red.png", "images/red.png"}));

        // The data file's folder reached through a link the user named: the
        // link is their pick, so the same rows pass and fail.
        fs::create_symlink(data, base / "picked");
        options.file = base / "picked" / "list.csv";
        options.datasetName = "through a picked link";
        const ImportResult picked = importDataset(project, options);
        QCOMPARE(picked.rows, std::int64_t{3});
        QCOMPARE(picked.errorCount, std::int64_t{6});
        QVERIFY(picked.errors.front().reason.find("leads outside " + (base / "picked").string()) != std::string::npos);
    }

    void folderImportsStayInside()
    {
        QTemporaryDir dir;
        const fs::path base = toPath(dir.path());
        const Outside outside(base / "outside");
        const fs::path images = base / "images";
        fs::create_directories(images / "cats");
        fs::copy_file(kImages / "red.png", images / "cats" / "red.png");
        fs::create_symlink(outside.folder / "secret.bmp", images / "cats" / "escape.bmp");
        fs::create_symlink(outside.folder / "dir", images / "cats" / "linked_dir");
        fs::create_symlink(outside.folder / "dir", images / "dogs"); // a whole class folder that leads out

        const QString root = QString::fromStdString(images.string());
        const QString real = QString::fromStdString(fs::canonical(outside.folder).string());
        QTemporaryDir projectDir;
        Project project = Project::create(toPath(projectDir.filePath("project")));
        ImportOptions options;
        options.file = images;
        options.datasetName = "images";
        const ImportResult result = importDataset(project, options);
        QCOMPARE(rejected(result, images),
                 (QStringList{"cats/escape.bmp: 'cats/escape.bmp' is a symbolic link to " + real +
                                  "/secret.bmp, outside " + root,
                              "cats/linked_dir: 'cats/linked_dir' is a symbolic link to " + real + "/dir, outside " +
                                  root,
                              "dogs/secret.bmp: 'dogs/secret.bmp' leads through a symbolic link to " + real +
                                  "/dir/secret.bmp, outside " + root}));
        QCOMPARE(keptImages(project, result.datasetId), QStringList{"cats/red.png"});

        // The folder imported is itself a link: the user picked its target, so everything in it is inside.
        fs::create_symlink(outside.folder, base / "picked");
        options.file = base / "picked";
        options.datasetName = "picked";
        const ImportResult picked = importDataset(project, options);
        QCOMPARE(picked.errorCount, std::int64_t{0});
        QCOMPARE(keptImages(project, picked.datasetId), (QStringList{"dir/secret.bmp"}));

        // Text folders read each file's content: a link out is refused before anything is read.
        const fs::path texts = base / "texts";
        fs::create_directories(texts / "pos");
        std::ofstream(texts / "pos" / "one.txt") << "a kept text\n";
        fs::create_symlink(outside.folder / "secret.txt", texts / "pos" / "leak.txt");
        options.file = texts;
        options.datasetName = "texts";
        const ImportResult text = importDataset(project, options);
        QCOMPARE(rejected(text, texts),
                 QStringList{"pos/leak.txt: 'pos/leak.txt' is a symbolic link to " + real + "/secret.txt, outside " +
                             QString::fromStdString(texts.string())});
        QCOMPARE(text.rows, std::int64_t{1});
        QCOMPARE(examples(project, text.datasetId, 0, 10).front().text, std::string("a kept text"));
    }
};

FT_REGISTER_TEST(ImportPathsTest);

#include "tst_import_paths.moc"
