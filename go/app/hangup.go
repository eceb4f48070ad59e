package app

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// hangups reloads the configuration on each SIGHUP (see reloader) and
// answers with one line on stderr, where the service logs (the init
// script appends it to a file, systemd sends it to the journal): what was
// applied, what needs a restart, or why nothing was. A SIGHUP never stops
// the service (Go's default), so a logrotate-style `kill -HUP` is safe;
// there is no log file of our own to reopen. It listens from the start
// of the process; until the service is built (use), a SIGHUP is only
// answered.
type hangups struct {
	stderr io.Writer
	rl     atomic.Pointer[reloader]
	hup    chan os.Signal
	done   chan struct{}
}

func watchHangups(stderr io.Writer) *hangups {
	h := &hangups{stderr: stderr, hup: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(h.hup, syscall.SIGHUP)
	go h.loop()
	return h
}

// use makes later SIGHUPs reload through rl.
func (h *hangups) use(rl *reloader) { h.rl.Store(rl) }

// stop restores Go's default; call it as the process ends.
func (h *hangups) stop() {
	signal.Stop(h.hup)
	close(h.done)
}

func (h *hangups) loop() {
	for {
		select {
		case <-h.done:
			return
		case <-h.hup:
			fmt.Fprintf(h.stderr, "%s orchestrator: SIGHUP: %s\n", time.Now().Format("2006-01-02 15:04:05"), h.reload())
		}
	}
}

func (h *hangups) reload() string {
	rl := h.rl.Load()
	if rl == nil {
		return "configuration not reloaded: the service is still starting"
	}
	report, err := rl.Reload("")
	if err != nil {
		return oneLine(err, nil)
	}
	return summary(report)
}
