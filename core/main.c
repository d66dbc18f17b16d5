/* cnnlab — the command line: parse arguments, load plugins, dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "Usage: cnnlab COMMAND [ARGUMENTS]\n"
    "\n"
    "Commands:\n"
    "  run MANIFEST [KEY=VALUE ...]    train every variant of a manifest\n"
    "  check MANIFEST [KEY=VALUE ...]  validate and print the plan, run "
    "nothing\n"
    "  plugins                         list every component and its "
    "parameters\n"
    "  summary MANIFEST [KEY=VALUE ...]\n"
    "                                  print each variant's torchsummary "
    "table and\n"
    "                                  PyTorch module repr, train nothing\n"
    "  analyse MANIFEST [KEY=VALUE ...]\n"
    "                                  rerun the manifest's analyses on "
    "existing\n"
    "                                  results (--out DIR), train nothing\n"
    "  eval MANIFEST --weights FILE [--split test|val|train]\n"
    "                                  evaluate saved weights (cnnlab's or "
    "a PyTorch\n"
    "                                  state_dict) on one split, train "
    "nothing; writes\n"
    "                                  predictions.csv to <out>/<experiment>/"
    "<variant>/\n"
    "                                  eval-<split>/ (also --profile, "
    "--variant, --out)\n"
    "  table DIR [DIR ...]             rewrite DIR/table.{md,tex,csv} from "
    "the results\n"
    "                                  in DIR (results/<experiment>), "
    "train nothing\n"
    "\n"
    "Options for run and check (summary: --profile, --variant and "
    "KEY=VALUE;\n"
    "analyse: those and --out):\n"
    "  --profile NAME    apply the manifest's profile NAME (e.g. smoke)\n"
    "  --variant NAME    only this variant\n"
    "  --out DIR         results directory (default: results)\n"
    "  --force           rerun variants whose results are complete\n"
    "  --quiet           no progress output\n"
    "  KEY=VALUE         override a manifest key, e.g. train.epochs=3\n"
    "\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 ok, 1 a run failed, 2 usage or manifest error,\n"
    "130 interrupted. Plugins load from the build's plugin directory,\n"
    "then $CNNLAB_PLUGIN_PATH (colon-separated).\n";

static int usage_error(const char *fmt, const char *detail)
{
    fprintf(stderr, "cnnlab: ");
    fprintf(stderr, fmt, detail);
    fprintf(stderr, "\nTry 'cnnlab --help'.\n");
    return CNN_EXIT_USAGE;
}

static int parse_run_arguments(int argc, char **argv,
                               struct cnn_cli_options *options)
{
    static const char *const valued[] = {"--profile", "--variant", "--out"};
    options->out_directory = "results";
    options->overrides = calloc((size_t)argc, sizeof(char *));
    if (!options->overrides)
        return usage_error("%s", "out of memory");
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        int matched = 0;
        for (int k = 0; k < 3 && !matched; k++) {
            int found = cnn_cli_option_value(argc, argv, &i, valued[k], &value);
            if (found < 0)
                return usage_error("option %s needs a value", valued[k]);
            if (found) {
                matched = 1;
                if (k == 0)
                    options->profile = value;
                else if (k == 1)
                    options->variant = value;
                else
                    options->out_directory = value;
            }
        }
        if (matched)
            continue;
        if (strcmp(arg, "--force") == 0)
            options->force = 1;
        else if (strcmp(arg, "--quiet") == 0)
            options->quiet = 1;
        else if (arg[0] == '-')
            return usage_error("unknown option '%s'", arg);
        else if (!options->manifest)
            options->manifest = arg;
        else if (strchr(arg, '='))
            options->overrides[options->override_count++] = arg;
        else
            return usage_error("'%s' is neither an option nor KEY=VALUE",
                               arg);
    }
    if (!options->manifest)
        return usage_error("%s", "missing MANIFEST");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "missing COMMAND");
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
        strcmp(command, "help") == 0) {
        fputs(usage_text, stdout);
        return CNN_EXIT_OK;
    }
    if (strcmp(command, "--version") == 0) {
        printf("cnnlab %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
               CNN_ABI_MAJOR, CNN_ABI_MINOR);
        return CNN_EXIT_OK;
    }
    /* table reads results only: no plugins, no manifest. */
    if (strcmp(command, "table") == 0)
        return cnn_cli_table(argc, argv);
    if (strcmp(command, "eval") == 0)
        return cnn_cli_eval(argc, argv);
    int is_run = strcmp(command, "run") == 0;
    int is_check = strcmp(command, "check") == 0;
    int is_plugins = strcmp(command, "plugins") == 0;
    int is_summary = strcmp(command, "summary") == 0;
    int is_analyse = strcmp(command, "analyse") == 0;
    if (!is_run && !is_check && !is_plugins && !is_summary && !is_analyse)
        return usage_error("unknown command '%s'", command);

    struct cnn_cli_options options = {0};
    if ((is_run || is_check || is_summary || is_analyse) &&
        parse_run_arguments(argc, argv, &options) != 0) {
        free(options.overrides);
        return CNN_EXIT_USAGE;
    }
    if (is_summary && (options.force || options.quiet ||
                       strcmp(options.out_directory, "results") != 0)) {
        free(options.overrides);
        return usage_error("%s", "summary takes only --profile, --variant "
                                 "and KEY=VALUE");
    }
    if (is_analyse && (options.force || options.quiet)) {
        free(options.overrides);
        return usage_error("%s", "analyse takes only --profile, --variant, "
                                 "--out and KEY=VALUE");
    }
    if (is_plugins && argc > 2)
        return usage_error("'plugins' takes no arguments, got '%s'", argv[2]);

    struct cnn_registry *registry = cnn_registry_new();
    struct cnn_error err = {0};
    int status;
    if (!registry)
        status = usage_error("%s", "out of memory");
    else if (cnn_registry_load_default(registry, &err) < 0) {
        cnn_cli_report(&err);
        status = CNN_EXIT_USAGE;
    } else if (is_plugins)
        status = cnn_cli_plugins(registry);
    else if (is_check)
        status = cnn_cli_check(registry, &options);
    else if (is_summary)
        status = cnn_cli_summary(registry, &options);
    else if (is_analyse)
        status = cnn_cli_analyse(registry, &options);
    else
        status = cnn_cli_run(registry, &options);
    cnn_registry_free(registry);
    free(options.overrides);
    return status;
}
