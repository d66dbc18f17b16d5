/* cnnlab — the command line: parse arguments, load plugins, dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/cli_signals.h"
#include "cli/sweep.h"

static const char usage_text[] =
    "Usage: cnnlab COMMAND [ARGUMENTS]\n"
    "\n"
    "Commands:\n"
    "  run MANIFEST [KEY=VALUE ...]    train every variant of a manifest\n"
    "  check MANIFEST [KEY=VALUE ...]  validate and print the plan, run "
    "nothing\n"
    "  plugins [--markdown]            list every component and its "
    "parameters\n"
    "                                  (--markdown: as docs/reference.md)\n"
    "  summary MANIFEST [KEY=VALUE ...]\n"
    "                                  print each variant's torchsummary "
    "table and\n"
    "                                  PyTorch module repr, train nothing\n"
    "  rf MANIFEST [KEY=VALUE ...]     print each variant's receptive field "
    "per layer\n"
    "                                  (size, jump, start in input pixels), "
    "train nothing\n"
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
    "--variant, --seed,\n"
    "                                  --out)\n"
    "  table DIR [DIR ...]             rewrite DIR/table.{md,tex,csv} and "
    "DIR/index.html\n"
    "                                  from the results in DIR "
    "(results/<experiment>),\n"
    "                                  train nothing\n"
    "  compare RUN RUN                 the differences between two run "
    "directories\n"
    "                                  (manifest keys and metrics) as a "
    "Markdown table\n"
    "  report [RESULTS_DIR] [--out DIR] [--no-pdf]\n"
    "                                  one document of every experiment "
    "(default\n"
    "                                  results/): DIR/report.md, "
    "report.tex and, with\n"
    "                                  pdflatex, report.pdf (DIR: report/)\n"
    "\n"
    "Options for run and check (summary and rf: --profile, --variant and "
    "KEY=VALUE;\n"
    "analyse: those, --seed and --out):\n"
    "  --profile NAME    apply the manifest's profile NAME (e.g. smoke)\n"
    "  --variant NAME    only this variant\n"
    "  --seed S          only seed S of a manifest with seeds: or "
    "repeats:\n"
    "  --out DIR         results directory (default: results)\n"
    "  --force           rerun variants whose results are complete\n"
    "  --resume          run only: continue interrupted variants from "
    "their saved\n"
    "                    training state (without it they start over)\n"
    "  --quiet           no progress output (errors and warnings only)\n"
    "  --json            run only: one JSON object per event on stdout "
    "(docs/cli.md)\n"
    "  KEY=VALUE         override a manifest key, e.g. train.epochs=3\n"
    "\n"
    "Options for run only (docs/cluster.md):\n"
    "  --jobs N          run the variants in N worker processes, the "
    "cores shared\n"
    "                    out among them (with slurm: at most N tasks at "
    "once)\n"
    "  --executor slurm  submit one Slurm job array, a task per variant, "
    "and a job\n"
    "                    that writes the table when they end "
    "(default: local)\n"
    "  --slurm-opt OPT   an sbatch option for both jobs, e.g. "
    "--slurm-opt=--time=2:00:00\n"
    "  --dry-run         with slurm: print the batch scripts, submit "
    "nothing\n"
    "  --no-table        leave the experiment's tables alone\n"
    "\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 ok, 1 a run failed, 2 usage or manifest error,\n"
    "130 interrupted. Plugins load from the build's plugin directory,\n"
    "then $CNNLAB_PLUGIN_PATH (colon-separated).\n";

static int usage_error(const char *fmt, const char *detail)
    __attribute__((format(printf, 1, 0)));

static int usage_error(const char *fmt, const char *detail)
{
    char text[1024];
    snprintf(text, sizeof text, fmt, detail);
    fprintf(stderr, "%scnnlab:%s %s\nTry 'cnnlab --help'.\n",
            cnn_cli_colour(CNN_CLI_ERROR), cnn_cli_colour_end(), text);
    if (cnn_cli_events_enabled())
        cnn_cli_event_error(text);
    return CNN_EXIT_USAGE;
}

static int parse_run_arguments(int argc, char **argv,
                               struct cnn_cli_options *options)
{
    static const char *const valued[] = {"--profile", "--variant", "--out",
                                         "--seed"};
    options->out_directory = "results";
    options->overrides = calloc((size_t)argc, sizeof(char *));
    if (!options->overrides)
        return usage_error("%s", "out of memory");
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        int matched = 0;
        for (int k = 0; k < 4 && !matched; k++) {
            int found = cnn_cli_option_value(argc, argv, &i, valued[k], &value);
            if (found < 0)
                return usage_error("option %s needs a value", valued[k]);
            if (found) {
                matched = 1;
                if (k == 0)
                    options->profile = value;
                else if (k == 1)
                    options->variant = value;
                else if (k == 3)
                    options->seed = value;
                else if (!value[0])
                    /* An unset shell variable: "" would put the
                     * results under "/". */
                    return usage_error("%s", "--out is empty: give the "
                                             "folder for the results (an "
                                             "unset shell variable?)");
                else
                    options->out_directory = value;
            }
        }
        if (matched)
            continue;
        int executor_option = cnn_cli_sweep_option(argc, argv, &i, options);
        if (executor_option < 0)
            return CNN_EXIT_USAGE;
        if (executor_option)
            continue;
        if (strcmp(arg, "--force") == 0)
            options->force = 1;
        else if (strcmp(arg, "--quiet") == 0)
            options->quiet = 1;
        else if (strcmp(arg, "--resume") == 0)
            options->resume = 1;
        else if (strcmp(arg, "--json") == 0)
            options->json = 1;
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

/* `cnnlab plugins [--markdown]`: the only other argument it takes. */
static int parse_plugins_arguments(int argc, char **argv,
                                   struct cnn_cli_options *options)
{
    options->markdown = argc == 3 && strcmp(argv[2], "--markdown") == 0;
    if (argc > 2 && !options->markdown)
        return usage_error("'plugins' takes only --markdown, got '%s'",
                           argv[2]);
    return 0;
}

static int print_usage(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs(usage_text, stdout);
    return CNN_EXIT_OK;
}

static int print_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("cnnlab %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, CNN_ABI_MAJOR,
           CNN_ABI_MINOR);
    return CNN_EXIT_OK;
}

static int list_plugins(struct cnn_registry *registry,
                        const struct cnn_cli_options *options)
{
    return options->markdown ? cnn_cli_plugins_markdown(registry)
                             : cnn_cli_plugins(registry);
}

/* Which of parse_run_arguments' options a command accepts beyond
 * --profile, --variant and KEY=VALUE; the parser takes them all, so that
 * each command can name the ones it refuses. */
enum {
    COMMAND_TAKES_OUT = 1 << 0,         /* --out */
    COMMAND_TAKES_FORCE_QUIET = 1 << 1, /* --force, --quiet */
    COMMAND_TAKES_JSON_RESUME = 1 << 2, /* --json, --resume: run only */
    COMMAND_TAKES_SEED = 1 << 3,        /* --seed: commands that read or
                                           write runs */
};

/* One subcommand. Either it parses its own arguments and needs no
 * plugins (without_plugins), or dispatch parses them with `parse`,
 * checks them against `flags`, loads the plugins and calls
 * with_plugins. */
struct command {
    const char *name;
    int (*without_plugins)(int argc, char **argv);
    int (*parse)(int argc, char **argv, struct cnn_cli_options *options);
    int (*with_plugins)(struct cnn_registry *registry,
                        const struct cnn_cli_options *options);
    unsigned flags;
    /* Not NULL: the command refuses --force and --quiet (and --out
     * unless COMMAND_TAKES_OUT), and the error lists what it takes. */
    const char *only_options;
};

enum {
    ALL_RUN_OPTIONS = COMMAND_TAKES_OUT | COMMAND_TAKES_FORCE_QUIET |
                      COMMAND_TAKES_SEED,
};

static const struct command commands[] = {
    {"--help", print_usage, NULL, NULL, 0, NULL},
    {"-h", print_usage, NULL, NULL, 0, NULL},
    {"help", print_usage, NULL, NULL, 0, NULL},
    {"--version", print_version, NULL, NULL, 0, NULL},
    /* table reads results only: no plugins, no manifest. */
    {"table", cnn_cli_table, NULL, NULL, 0, NULL},
    {"eval", cnn_cli_eval, NULL, NULL, 0, NULL},
    {"compare", cnn_cli_compare, NULL, NULL, 0, NULL},
    {"report", cnn_cli_report_document, NULL, NULL, 0, NULL},
    {"run", NULL, parse_run_arguments, cnn_cli_run,
     ALL_RUN_OPTIONS | COMMAND_TAKES_JSON_RESUME, NULL},
    {"check", NULL, parse_run_arguments, cnn_cli_check, ALL_RUN_OPTIONS,
     NULL},
    {"plugins", NULL, parse_plugins_arguments, list_plugins, 0, NULL},
    {"summary", NULL, parse_run_arguments, cnn_cli_summary, 0,
     "--profile, --variant and KEY=VALUE"},
    {"rf", NULL, parse_run_arguments, cnn_cli_rf, 0,
     "--profile, --variant and KEY=VALUE"},
    {"analyse", NULL, parse_run_arguments, cnn_cli_analyse,
     COMMAND_TAKES_OUT | COMMAND_TAKES_SEED,
     "--profile, --variant, --seed, --out and KEY=VALUE"},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* The options parse_run_arguments took that this command refuses; 0 or
 * the usage error's status. */
static int check_options(const struct command *command,
                         const struct cnn_cli_options *options)
{
    int takes_out = (command->flags & COMMAND_TAKES_OUT) != 0;
    int takes_seed = (command->flags & COMMAND_TAKES_SEED) != 0;
    int is_run = (command->flags & COMMAND_TAKES_JSON_RESUME) != 0;
    if (command->only_options &&
        (options->force || options->quiet ||
         (!takes_seed && options->seed) ||
         (!takes_out && strcmp(options->out_directory, "results") != 0))) {
        char text[512];
        snprintf(text, sizeof text, "%s takes only %s", command->name,
                 command->only_options);
        return usage_error("%s", text);
    }
    if (options->json && (!is_run || options->jobs > 0 || options->executor))
        return usage_error("%s", !is_run
                                     ? "--json is an option of `cnnlab "
                                       "run` only"
                                     : "--json reports the events of one "
                                       "process; it does not go with "
                                       "--jobs or --executor: leave one "
                                       "of them out");
    if (options->resume && (!is_run || options->force))
        return usage_error("%s", is_run ? "--resume continues interrupted "
                                          "runs, --force starts them over: "
                                          "give one of them"
                                        : "--resume is an option of "
                                          "`cnnlab run` only");
    return 0;
}

static int run_with_plugins(const struct command *command,
                            const struct cnn_cli_options *options)
{
    struct cnn_registry *registry = cnn_registry_new();
    struct cnn_error err = {0};
    int status;
    if (!registry)
        status = usage_error("%s", "out of memory");
    else if (cnn_registry_load_default(registry, &err) < 0) {
        cnn_cli_report(&err);
        status = CNN_EXIT_USAGE;
    } else
        status = command->with_plugins(registry, options);
    cnn_registry_free(registry);
    return status;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "missing COMMAND");
    const struct command *command = find_command(argv[1]);
    if (!command)
        return usage_error("unknown command '%s'", argv[1]);
    if (command->without_plugins)
        return command->without_plugins(argc, argv);

    struct cnn_cli_options options = {0};
    int status = CNN_EXIT_USAGE;
    if (command->parse(argc, argv, &options) == 0 &&
        check_options(command, &options) == 0)
        status = run_with_plugins(command, &options);
    free(options.overrides);
    free(options.slurm_options);
    return status;
}

int main(int argc, char **argv)
{
    /* Before any other thread exists, so that every thread inherits the
     * blocked signals (cli_signals.h). Without the thread they keep their
     * default action, as they always had. */
    cnn_cli_signals_start();
    /* With --json every message, a command-line error included, is an
     * event too, so the stream is switched on before anything is said. */
    int json = 0;
    for (int i = 2; i < argc && strcmp(argv[1], "run") == 0; i++)
        json |= strcmp(argv[i], "--json") == 0;
    if (json)
        cnn_cli_events_enable();
    int status = dispatch(argc, argv);
    if (json)
        cnn_cli_event_exit(status);
    return status;
}
