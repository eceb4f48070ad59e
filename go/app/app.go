package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/codegangsta/cli"
	"github.com/outbrain/golib/log"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// Run is the whole program: it parses args, runs the service or one CLI
// command, and returns the exit code.
func Run(args []string, version string, stdout, stderr io.Writer) int {
	if err := validArgs(args); err != nil {
		fmt.Fprintln(stderr, "orchestrator:", err)
		return 1
	}
	code := 0
	a := cli.NewApp()
	a.Name = "orchestrator"
	a.Usage = "MySQL/MariaDB replication topology manager"
	a.HideHelp, a.HideVersion = true, true
	a.Writer = stdout
	a.Flags = globalFlags()
	a.Action = func(c *cli.Context) error {
		code = dispatch(c, version, stdout, stderr)
		return nil
	}
	// A bad flag is one line, not the library's usage dump.
	a.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return err }
	if err := a.Run(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText(a.Flags))
			return 0
		}
		fmt.Fprintf(stderr, "orchestrator: %v (orchestrator --help lists the flags)\n", err)
		return 1
	}
	return code
}

// usageText is what --help prints: the two modes and the global flags.
func usageText(flags []cli.Flag) string {
	var b strings.Builder
	b.WriteString("usage: orchestrator [flags] http                  run the service\n" +
		"       orchestrator [flags] -c <command> [...]      run one command (orchestrator -c help lists them)\n\nflags:\n")
	for _, f := range flags {
		fmt.Fprintf(&b, "  %s\n", f.String())
	}
	return b.String()
}

// validArgs refuses arguments that are not UTF-8: names, owners and
// reasons are stored as UTF-8 text, and the backend would refuse them
// only half-way through a command.
func validArgs(args []string) error {
	for i, arg := range args {
		if i == 0 || utf8.ValidString(arg) {
			continue
		}
		what := fmt.Sprintf("argument %d", i)
		if prev := args[i-1]; i > 1 && strings.HasPrefix(prev, "-") {
			what = "the value of " + strings.ToValidUTF8(prev, "?")
		}
		return fmt.Errorf("%w: %s is not valid UTF-8", inst.ErrBadRequest, what)
	}
	return nil
}

func globalFlags() []cli.Flag {
	str := func(name, usage string) cli.Flag { return cli.StringFlag{Name: name, Usage: usage} }
	boolean := func(name, usage string) cli.Flag { return cli.BoolFlag{Name: name, Usage: usage} }
	return []cli.Flag{
		str("config", "config file (default: /etc/orchestrator.conf.json, conf/orchestrator.conf.json, orchestrator.conf.json)"),
		str("command, c", "command to run (orchestrator -c help lists them)"),
		str("instance, i", "instance, host[:port]"),
		str("destination, d", "destination instance, host[:port]"),
		str("sibling, s", "sibling instance (synonym of -d)"),
		str("owner", "owner of maintenance / downtime / acks"),
		str("reason", "reason for maintenance / downtime / acks"),
		str("duration", "duration: 30s, 10m, 2h, 1d, 1w"),
		str("pattern", "regexp filter"),
		str("alias, a", "cluster alias (or any cluster hint)"),
		str("promotion-rule", "promotion rule for register-candidate (prefer, neutral, prefer_not, must_not)"),
		str("binlog", "binary log file[:pos]"),
		str("statement", "SQL statement for restart-replica-statements"),
		str("hostname", "hostname for resolve/unresolve commands"),
		str("tag", "tag name[=value]"),
		boolean("debug", "debug logging"),
		boolean("verbose", "info logging (the default of the service)"),
		boolean("stack", "print stack traces with errors"),
		boolean("quiet", "errors only, no configuration warnings"),
		boolean("noop", "compute but do not change servers"),
		boolean("dry-run", "show what a recovery would do, change nothing"),
		boolean("skip-continuous-registration", "do not register this CLI run in node_health"),
		boolean("discovery", "service mode: run discovery (default true)"),
		boolean("grab-election", "service mode: take leadership at start"),
		boolean("version", "print version and exit"),
	}
}

func dispatch(c *cli.Context, version string, stdout, stderr io.Writer) int {
	setupLogging(c)
	if c.Bool("version") {
		fmt.Fprintln(stdout, version)
		return 0
	}
	table := commandTable()
	args := c.Args()
	command := c.String("command")
	switch {
	case command == "help" || (command == "" && args.First() == "help" && len(args) == 1):
		fmt.Fprint(stdout, helpText(table))
		return 0
	case command == "" && args.First() == "help":
		cmd, ok := findCommand(table, args.Get(1))
		if !ok {
			fmt.Fprintf(stderr, "orchestrator: unknown command %q (orchestrator -c help lists them)\n", args.Get(1))
			return 1
		}
		fmt.Fprint(stdout, commandHelp(cmd))
		return 0
	case command == "" && args.First() == "http":
		return runService(c, version, stderr)
	case command == "" && args.First() != "" && args.First() != "cli":
		fmt.Fprintf(stderr, "orchestrator: unknown argument %q (use 'http' for the service or -c <command>)\n", args.First())
		return 1
	case command == "":
		fmt.Fprintln(stderr, "orchestrator: no command given. Run 'orchestrator -c help' for commands, or 'orchestrator http' for the service.")
		return 1
	}
	cmd, ok := findCommand(table, command)
	if !ok {
		fmt.Fprintf(stderr, "orchestrator: unknown command %q (orchestrator -c help lists them)\n", command)
		return 1
	}
	if extra := c.Args(); len(extra) > 0 && !(len(extra) == 1 && extra.First() == "cli") {
		fmt.Fprintf(stderr, "orchestrator: unexpected argument %q after -c %s (flags go before it: -i, -d, ...)\n", extra.First(), command)
		return 1
	}
	return runCommand(c, cmd, version, stdout, stderr)
}

func setupLogging(c *cli.Context) {
	log.SetLevel(log.ERROR)
	if c.Bool("verbose") {
		log.SetLevel(log.INFO)
	}
	if c.Bool("debug") {
		log.SetLevel(log.DEBUG)
	}
	if c.Bool("quiet") {
		log.SetLevel(log.ERROR)
	}
	log.SetPrintStackTrace(c.Bool("stack"))
}

// loadConfig loads the configuration; its warnings (unknown keys, loose
// file permissions) are printed whatever the log level, unless --quiet.
func loadConfig(c *cli.Context, stderr io.Writer) (*config.Config, error) {
	paths, explicit := configPaths(c)
	cfg, warnings, err := config.Load(paths, explicit)
	if err != nil {
		return nil, err
	}
	if !c.Bool("quiet") {
		for _, w := range warnings {
			fmt.Fprintln(stderr, "orchestrator: warning:", w)
		}
	}
	if cfg.Debug {
		log.SetLevel(log.DEBUG)
	}
	return cfg, nil
}

// configPaths are the files the configuration is read from: --config
// (which must exist), else config.DefaultPaths (those present).
func configPaths(c *cli.Context) (paths []string, explicit bool) {
	if p := c.String("config"); p != "" {
		return []string{p}, true
	}
	return config.DefaultPaths, false
}

func flagsFrom(c *cli.Context) (Flags, error) {
	f := Flags{
		Command: c.String("command"), Instance: c.String("instance"), Destination: c.String("destination"),
		Owner: c.String("owner"), Reason: c.String("reason"), Duration: c.String("duration"),
		Pattern: c.String("pattern"), Alias: c.String("alias"), PromotionRule: c.String("promotion-rule"),
		Binlog: c.String("binlog"), Statement: c.String("statement"), Hostname: c.String("hostname"),
		Tag: c.String("tag"), Noop: c.Bool("noop"), Quiet: c.Bool("quiet"), DryRun: c.Bool("dry-run"),
		SkipRegistration: c.Bool("skip-continuous-registration"),
	}
	if s := c.String("sibling"); s != "" {
		if f.Destination != "" {
			return f, errors.New("give either -d or -s, not both")
		}
		f.Destination = s
	}
	return f, nil
}

func runCommand(c *cli.Context, cmd Command, version string, stdout, stderr io.Writer) int {
	flags, err := flagsFrom(c)
	if err != nil {
		fmt.Fprintln(stderr, "orchestrator:", err)
		return 1
	}
	cfg, err := loadConfig(c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "orchestrator:", oneLine(err, cfg))
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := newEnv(ctx, cfg, flags, stdout, version)
	defer e.Close()
	if err := checkNeeds(cmd, e); err != nil {
		fmt.Fprintln(stderr, "orchestrator:", err)
		return 1
	}
	if err := cmd.Run(e); err != nil {
		fmt.Fprintln(stderr, "orchestrator:", oneLine(err, cfg))
		return 1
	}
	return 0
}

// oneLine renders an error on one line with any configured secret removed.
func oneLine(err error, cfg *config.Config) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if cfg != nil {
		for _, s := range cfg.Secrets() {
			msg = strings.ReplaceAll(msg, s, "********")
		}
	}
	return msg
}
