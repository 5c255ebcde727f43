// serve_command.cpp: `finetune serve`, a fine-tuned classifier behind a small
// HTTP JSON API (cpp-httplib). Requests from the server's worker threads meet
// in a RequestBatcher, so concurrent clients share forward passes.
#include "cli/commands.h"

#include "cli/interrupt.h"
#include "cli/serve_api.h"
#include "common/error.h"
#include "common/version.h"
#include "infer/model_location.h"
#include "infer/predictor.h"
#include "infer/request_batcher.h"

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include <sys/socket.h>

namespace ft::cli {

namespace {

using namespace std::chrono_literals;

constexpr const char *kJson = "application/json";
constexpr const char *kEndpoints = "GET /health, GET /info, POST /predict";

struct ServeArguments {
    std::string model;
    std::string host = "127.0.0.1";
    int port = 8080;
    std::size_t maxBatch = 32;
    std::size_t maxTexts = 256;
    std::size_t maxBodyBytes = 1 << 20;
    PredictorOptions options;
};

bool isLoopback(const std::string &host)
{
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string urlHost(const std::string &host)
{
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

void answerError(httplib::Response &response, int status, const std::string &message)
{
    response.status = status;
    response.set_content(errorJson(message), kJson);
}

// Registers 405 (with Allow) for the methods `path` does not take.
void refuseOtherMethods(httplib::Server &server, const std::string &path, const std::string &allowed)
{
    const auto refuse = [path, allowed](const httplib::Request &request, httplib::Response &response) {
        response.set_header("Allow", allowed);
        answerError(response, 405, request.method + " is not allowed on " + path + " (use " + allowed + ")");
    };
    if (allowed != "GET")
        server.Get(path, refuse);
    if (allowed != "POST")
        server.Post(path, refuse);
    server.Put(path, refuse);
    server.Patch(path, refuse);
    server.Delete(path, refuse);
    server.Options(path, [allowed](const httplib::Request &, httplib::Response &response) {
        response.set_header("Allow", allowed + ", OPTIONS");
        response.status = 204;
    });
}

void addRoutes(httplib::Server &server, const ServeArguments &args, const Predictor &predictor,
               RequestBatcher &batcher)
{
    server.Get("/health", [](const httplib::Request &, httplib::Response &response) {
        response.set_content(R"({"status":"ok"})", kJson);
    });
    server.Get("/info", [&](const httplib::Request &, httplib::Response &response) {
        const BatcherStats stats = batcher.stats();
        const nlohmann::ordered_json info = {{"model", predictor.folder().string()},
                                             {"labels", predictor.labelNames()},
                                             {"max_length", predictor.maxLength()},
                                             {"max_batch", args.maxBatch},
                                             {"max_texts", args.maxTexts},
                                             {"max_body_bytes", args.maxBodyBytes},
                                             {"device", predictor.deviceName()},
                                             {"version", kVersion},
                                             {"requests", stats.requests},
                                             {"texts", stats.rows},
                                             {"batches", stats.batches}};
        response.set_content(info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), kJson);
    });
    server.Post("/predict", [&](const httplib::Request &request, httplib::Response &response) {
        try {
            // httplib checks Content-Length; a chunked body is only checked here.
            if (request.body.size() > args.maxBodyBytes)
                throw ApiError(413, "the body is over the limit of " + std::to_string(args.maxBodyBytes) +
                                        " bytes (--max-body-bytes)");
            PredictRequest parsed = parsePredictRequest(request.body, args.maxTexts);
            const Predictions predictions = batcher.predict(std::move(parsed.texts), std::move(parsed.pairs));
            response.set_content(predictionsJson(predictions, predictor.labelNames()), kJson);
        } catch (const ApiError &e) {
            answerError(response, e.status(), e.what());
        } catch (const Error &e) {
            answerError(response, e.kind() == ErrorKind::Cancelled ? 503 : 500, e.what());
        }
    });
    refuseOtherMethods(server, "/health", "GET");
    refuseOtherMethods(server, "/info", "GET");
    refuseOtherMethods(server, "/predict", "POST");

    // Whatever httplib answers itself (no route, body too large) gets a JSON body too.
    using ErrorHandler = httplib::Server::HandlerWithResponse; // the lambda alone is ambiguous
    server.set_error_handler(ErrorHandler([&args](const httplib::Request &request, httplib::Response &response) {
        if (!response.body.empty())
            return httplib::Server::HandlerResponse::Unhandled;
        std::string message;
        if (response.status == 404)
            message = "no such endpoint: " + request.method + " " + request.path + " (endpoints: " + kEndpoints + ")";
        else if (response.status == 413)
            message = "the body is over the limit of " + std::to_string(args.maxBodyBytes) +
                      " bytes (--max-body-bytes)";
        else
            message = "HTTP " + std::to_string(response.status) + " for " + request.method + " " + request.path;
        response.set_content(errorJson(message), kJson);
        return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler([](const httplib::Request &, httplib::Response &response, std::exception_ptr error) {
        std::string message = "internal error";
        try {
            std::rethrow_exception(error);
        } catch (const std::exception &e) {
            message += std::string(": ") + e.what();
        } catch (...) {
        }
        answerError(response, 500, message);
    });
}

void runServe(const ServeArguments &args)
{
    installInterruptHandler();
    const std::filesystem::path folder = resolveModelFolder(args.model);
    PredictorOptions options = args.options;
    options.batchSize = args.maxBatch;
    Predictor predictor;
    predictor.load(folder, options);
    RequestBatcher batcher(predictor, BatcherOptions{args.maxBatch, 2ms});

    httplib::Server server;
    server.set_payload_max_length(args.maxBodyBytes);
    // httplib's default adds SO_REUSEPORT, with which a second server on a
    // taken port starts silently and steals half the connections.
    socket_t listening = -1; // httplib's socket_t is global
    server.set_socket_options([&listening](socket_t socket) {
        const int yes = 1;
        ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        listening = socket; // the last one tried is the one bound
    });
    server.set_keep_alive_timeout(2); // idle keep-alive connections delay a stop by up to this
    // Workers mostly wait on the batcher: enough of them to fill a batch.
    const std::size_t workers = std::clamp<std::size_t>(args.maxBatch * 2, 8, 64);
    server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    addRoutes(server, args, predictor, batcher);

    int port = args.port;
    if (port == 0)
        port = server.bind_to_any_port(args.host);
    else if (!server.bind_to_port(args.host, port))
        port = -1;
    if (port < 0)
        throw Error(ErrorKind::Io, "cannot listen on " + urlHost(args.host) + ":" + std::to_string(args.port) +
                                       " (the port is in use, or the host is not an address of this machine)");
    // httplib 0.11 listens with a backlog of 5: a burst of clients overflows
    // it and some connections fail to read an answer. Listening again raises it.
    if (listening >= 0)
        ::listen(listening, SOMAXCONN);
    if (!isLoopback(args.host))
        std::cerr << "finetune: warning: listening on " << args.host
                  << ", not loopback: the server has no authentication, so anyone who can reach this port can use "
                     "the model\n";
    std::cerr << "serving " << folder.string() << " on " << predictor.deviceName() << " (" << kEndpoints
              << "); Ctrl+C stops\n";
    std::cout << "listening on http://" << urlHost(args.host) << ':' << port << std::endl;

    // SIGINT/SIGTERM only set a flag (interrupt.h): this thread turns it into a stop.
    std::atomic<bool> finished{false};
    std::thread watcher([&] {
        while (!finished && !interrupted())
            std::this_thread::sleep_for(50ms);
        while (!finished && !server.is_running()) // stop() does nothing before listening starts
            std::this_thread::sleep_for(5ms);
        server.stop();
    });
    const bool listened = server.listen_after_bind();
    finished = true;
    watcher.join();
    batcher.stop();
    if (!listened && !interrupted())
        throw Error(ErrorKind::Io, "the server on port " + std::to_string(port) + " stopped accepting connections");
    std::cerr << "stopped after " << batcher.stats().requests << " predict requests\n";
}

} // namespace

void addServeCommand(CLI::App &app, Action &action)
{
    auto args = std::make_shared<ServeArguments>();
    auto *command = app.add_subcommand("serve", "Serve a fine-tuned classifier over HTTP (JSON)");
    command->footer(
        "Endpoints:\n"
        "  GET  /health   {\"status\": \"ok\"}\n"
        "  GET  /info     model, labels, max_length, limits, device, version, requests and batches so far\n"
        "  POST /predict  {\"texts\": [\"a text\", [\"a text\", \"its pair\"], ...]} -> {\"predictions\": [{\"label\","
        " \"label_id\", \"probabilities\": {label: p}}, ...]} in order\n"
        "Errors answer {\"error\": \"...\"}: 400 malformed JSON or shape, 413 too many texts or too large a body, 404, "
        "405. Concurrent requests share batches. Prints \"listening on http://HOST:PORT\" on stdout once ready; "
        "SIGINT or SIGTERM stops it (exit code 0). There is no authentication: keep the default loopback host "
        "unless the network is trusted.");
    command->add_option("--model", args->model,
                        "Hugging Face classifier folder (config.json, weights, tokenizer), a folder of finetune "
                        "export (TorchScript and ONNX run on the CPU), or a project's run folder PROJECT/runs/N")
        ->required();
    command->add_option("--host", args->host, "Address to listen on")->capture_default_str();
    command->add_option("--port", args->port, "Port to listen on; 0 picks a free one")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    command->add_option("--max-batch", args->maxBatch, "Texts per forward pass, across concurrent requests")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command->add_option("--max-texts", args->maxTexts, "Texts per request; more answer 413")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command->add_option("--max-body-bytes", args->maxBodyBytes, "Request body size; larger answer 413")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    addPredictorOptions(*command, args->options);
    command->callback([&action, args] { action = [args] { runServe(*args); }; });
}

} // namespace ft::cli
