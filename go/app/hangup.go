package app

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// ignoreHangups keeps SIGHUP from killing the service (Go's default), so
// that a logrotate-style `kill -HUP` cannot stop it without the clean
// shutdown and leadership hand-over of SIGTERM. Each SIGHUP is answered
// with one line on stderr. The service writes its log to stderr only (the
// init script appends it to a file, systemd sends it to the journal), so
// there is no file to reopen; the configuration is not reloaded either.
// The returned func restores the default; call it as the process ends.
func ignoreHangups(stderr io.Writer) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-hup:
				fmt.Fprintf(stderr, "%s orchestrator: SIGHUP ignored: the log goes to standard error (nothing to reopen) and the configuration is not reloaded (restart the service to apply changes)\n",
					time.Now().Format("2006-01-02 15:04:05"))
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
}
