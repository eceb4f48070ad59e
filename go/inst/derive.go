package inst

import (
	"database/sql"
	"time"
)

// Freshness holds the settings that turn stored probe times into the
// derived validity fields.
type Freshness struct {
	Now                      time.Time
	PollInterval             time.Duration // InstancePollSeconds
	ReasonableCheck          time.Duration // ReasonableInstanceCheckSeconds
	ReasonableReplicationLag int64         // seconds
}

// LastCheckValid reports whether the latest probe succeeded and no later
// attempt has been pending for longer than a poll interval plus grace.
func (i *Instance) LastCheckValid(f Freshness) bool {
	if i.LastSeen.IsZero() || i.LastChecked.After(i.LastSeen) {
		return false
	}
	return !i.LastAttemptedCheck.After(i.LastSeen.Add(f.PollInterval + f.ReasonableCheck))
}

// Derive computes the fields that depend on time and state: validity,
// freshness, timestamps as text, legacy copies and the problems list.
func (i *Instance) Derive(f Freshness) {
	i.IsLastCheckValid = i.LastCheckValid(f)
	sinceChecked := f.Now.Sub(i.LastChecked)
	i.IsUpToDate = !i.LastChecked.IsZero() && sinceChecked <= f.PollInterval+f.ReasonableCheck
	i.IsRecentlyChecked = !i.LastChecked.IsZero() && sinceChecked <= 5*f.PollInterval
	i.LastSeenTimestamp = FormatTime(i.LastSeen)
	i.LastCheckedTimestamp = FormatTime(i.LastChecked)
	i.LastAttemptedCheckTimestamp = FormatTime(i.LastAttemptedCheck)
	if i.LastSeen.IsZero() {
		i.SecondsSinceLastSeen = sql.NullInt64{}
	} else {
		i.SecondsSinceLastSeen = sql.NullInt64{Int64: int64(f.Now.Sub(i.LastSeen).Seconds()), Valid: true}
	}
	i.IsDetachedMaster = i.MasterKey.IsDetached()
	i.ReplicationIOThreadRuning = i.ReplicationIOThreadState == ThreadStateRunning
	i.ReplicationSQLThreadRuning = i.ReplicationSQLThreadState == ThreadStateRunning
	i.FillLegacy()
	i.Problems = i.problems(f)
}

func (i *Instance) problems(f Freshness) []string {
	p := []string{}
	switch {
	case !i.IsLastCheckValid:
		p = append(p, "last_check_invalid")
	case !i.IsRecentlyChecked:
		p = append(p, "not_recently_checked")
	case i.ReplicationIOThreadState != ThreadStateNoThread && !i.IsReplicating():
		p = append(p, "not_replicating")
	case i.ReplicationLagSeconds.Valid && abs(i.ReplicationLagSeconds.Int64-int64(i.SQLDelay)) > f.ReasonableReplicationLag:
		p = append(p, "replication_lag")
	}
	if i.GtidErrant != "" {
		p = append(p, "errant_gtid")
	}
	return p
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
