// Command orchestrator-sim plays a fleet of MySQL and MariaDB servers over
// the MySQL protocol, each on its own loopback address, with faults
// injected through an HTTP control endpoint. See docs/simulator.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"orchestrator/go/sim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "orchestrator-sim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("orchestrator-sim", flag.ContinueOnError)
	var sp sim.Spec
	fs.IntVar(&sp.Clusters, "clusters", 1, "number of generated clusters")
	fs.IntVar(&sp.Depth, "depth", 1, "replication levels below each master")
	fs.IntVar(&sp.FanOut, "fanout", 2, "replicas of each server above the last level")
	fs.IntVar(&sp.Port, "port", 13306, "MySQL port of every generated server")
	fs.IntVar(&sp.FirstAddress, "first-address", 0, "index of the first generated address (127.10.0.1 is 0)")
	fs.BoolVar(&sp.GTID, "gtid", true, "GTID replication (Oracle auto-position, MariaDB Slave_Pos)")
	versions := fs.String("versions", "mysql-8.0", "comma-separated versions, cycled per cluster: "+strings.Join(sim.VersionNames(), ", "))
	fleetFile := fs.String("fleet", "", "JSON fleet description ({\"servers\": [...]}) instead of generating one")
	control := fs.String("control", "127.0.0.1:13300", "loopback address of the HTTP control endpoint")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if host, _, err := net.SplitHostPort(*control); err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("-control must be a loopback host:port, got %q", *control)
	}
	sp.Versions = strings.Split(*versions, ",")
	var fleet *sim.Fleet
	var err error
	if *fleetFile != "" {
		fleet, err = sim.LoadFleet(*fleetFile)
	} else {
		var servers []*sim.Server
		if servers, err = sim.Generate(sp); err == nil {
			fleet, err = sim.NewFleet(servers)
		}
	}
	if err != nil {
		return err
	}
	s, err := sim.Listen(fleet, "")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Addr: *control, Handler: s.ControlHandler(), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", *control)
	if err != nil {
		_ = s.Close()
		return fmt.Errorf("control endpoint: %w", err)
	}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("orchestrator-sim: %d servers in %d clusters, control on http://%s\n", fleet.Len(), len(fleet.Masters()), *control)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	if cerr := s.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = errors.Join(err, cerr)
	}
	return err
}
