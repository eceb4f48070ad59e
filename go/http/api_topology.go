package http

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orchestrator/go/inst"
	"orchestrator/go/topology"
)

type keyOp func(*topology.Operator, context.Context, inst.InstanceKey) (*inst.Instance, error)
type keyDestOp func(*topology.Operator, context.Context, inst.InstanceKey, inst.InstanceKey) (*inst.Instance, error)

// Path parameters naming the destination of two-key routes.
const (
	belowParams   = "belowHost/belowPort"
	siblingParams = "siblingHost/siblingPort"
)

func (s *Server) topologyRoutes() []Route {
	op := func(path, doc string, h Handler, query ...Param) Route {
		return Route{Path: path, Mutates: true, Handler: h, Doc: doc, Query: query, Example: operationExample(path)}
	}
	pattern := q("pattern", "regexp: only the replicas whose host:port matches move")
	relocate := s.moveTo(belowParams, (*topology.Operator).Relocate)
	moveGTID := s.moveTo(belowParams, (*topology.Operator).MoveBelowGTID)
	detach, reattach := s.keyed((*topology.Operator).DetachReplicaMasterHost), s.keyed((*topology.Operator).ReattachReplicaMasterHost)
	rs := []Route{
		op("/api/relocate/:host/:port/:belowHost/:belowPort", "move an instance below another by any working method", relocate),
		op("/api/relocate-below/:host/:port/:belowHost/:belowPort", "same as relocate", relocate),
		op("/api/relocate-replicas/:host/:port/:belowHost/:belowPort", "move the replicas of an instance (?pattern) below another", s.relocateReplicas, pattern),
		op("/api/regroup-replicas/:host/:port", "move the replicas of an instance below the most advanced of them", s.regroup((*topology.Operator).RegroupReplicas)),
		op("/api/regroup-replicas-gtid/:host/:port", "regroup the replicas of an instance by GTID", s.regroup((*topology.Operator).RegroupReplicasGTID)),
		op("/api/move-up/:host/:port", "make an instance replicate from its grandparent", s.keyed((*topology.Operator).MoveUp)),
		op("/api/move-up-replicas/:host/:port", "move the replicas of an instance up one level", s.moveUpReplicas, pattern),
		op("/api/move-below/:host/:port/:siblingHost/:siblingPort", "make an instance replicate from its sibling", s.moveTo(siblingParams, (*topology.Operator).MoveBelow)),
		op("/api/move-equivalent/:host/:port/:belowHost/:belowPort", "move an instance below another at the position recorded as equivalent to where it stands (undoes a classic move)",
			s.moveTo(belowParams, (*topology.Operator).MoveEquivalent)),
		op("/api/repoint/:host/:port/:belowHost/:belowPort", "point an instance elsewhere keeping its coordinates", s.moveTo(belowParams, (*topology.Operator).Repoint)),
		op("/api/repoint-replicas/:host/:port", "repoint the replicas of an instance to it", s.repointReplicas, pattern),
		op("/api/take-siblings/:host/:port", "make the siblings of an instance its replicas", s.takeSiblings),
		op("/api/take-master/:host/:port", "swap an instance with its master", s.keyed((*topology.Operator).TakeMaster)),
		op("/api/make-co-master/:host/:port", "make an instance co-master with its master", s.keyed((*topology.Operator).MakeCoMaster)),
		op("/api/move-below-gtid/:host/:port/:belowHost/:belowPort", "move an instance below another by GTID", moveGTID),
		op("/api/move-gtid/:host/:port/:belowHost/:belowPort", "same as move-below-gtid", moveGTID),
		op("/api/move-replicas-gtid/:host/:port/:belowHost/:belowPort", "move the replicas of an instance below another by GTID", s.moveReplicasGTID, pattern),
		op("/api/start-replica/:host/:port", "START SLAVE", s.keyed((*topology.Operator).StartReplica)),
		op("/api/stop-replica/:host/:port", "STOP SLAVE", s.keyed((*topology.Operator).StopReplica)),
		op("/api/restart-replica/:host/:port", "stop then start replication", s.keyed((*topology.Operator).RestartReplica)),
		op("/api/stop-replica-nice/:host/:port", "stop IO, let SQL catch up, stop SQL", s.keyed((*topology.Operator).StopReplicaNice)),
		op("/api/reset-replica/:host/:port", "RESET SLAVE ALL", s.keyed((*topology.Operator).ResetReplica)),
		op("/api/detach-replica/:host/:port", "rewrite the master host to //host", detach),
		op("/api/detach-replica-master-host/:host/:port", "rewrite the master host to //host", detach),
		op("/api/reattach-replica/:host/:port", "undo detach-replica", reattach),
		op("/api/reattach-replica-master-host/:host/:port", "undo detach-replica-master-host", reattach),
		op("/api/skip-query/:host/:port", "skip one statement and start replication", s.keyed((*topology.Operator).SkipQuery)),
		op("/api/set-read-only/:host/:port", "read_only=1", s.readOnly(true)),
		op("/api/set-writeable/:host/:port", "read_only=0", s.readOnly(false)),
		op("/api/enable-gtid/:host/:port", "switch a replica to GTID positioning", s.keyed((*topology.Operator).EnableGTID)),
		op("/api/disable-gtid/:host/:port", "switch a replica to binlog coordinates", s.keyed((*topology.Operator).DisableGTID)),
		op("/api/gtid-errant-reset-master/:host/:port", "remove a replica's errant GTIDs from its history (RESET MASTER)", s.keyed((*topology.Operator).GTIDErrantResetMaster)),
		op("/api/gtid-errant-inject-empty/:host/:port", "give the master a replica's errant GTIDs as empty transactions (Oracle GTID)", s.keyed((*topology.Operator).GTIDErrantInjectEmpty)),
		op("/api/delay-replication/:host/:port/:seconds", "set MASTER_DELAY", s.delayReplication),
		op("/api/flush-binary-logs/:host/:port", "FLUSH BINARY LOGS", s.keyed((*topology.Operator).FlushBinaryLogs)),
		op("/api/purge-binary-logs/:host/:port/:logFile", "PURGE BINARY LOGS TO (?force=true)", s.purgeBinaryLogs, q("force", "true: even if a replica still needs them")),
		op("/api/enable-semi-sync-master/:host/:port", "enable semi-sync on a master", s.semiSync(true, true)),
		op("/api/disable-semi-sync-master/:host/:port", "disable semi-sync on a master", s.semiSync(true, false)),
		op("/api/enable-semi-sync-replica/:host/:port", "enable semi-sync on a replica", s.semiSync(false, true)),
		op("/api/disable-semi-sync-replica/:host/:port", "disable semi-sync on a replica", s.semiSync(false, false)),
		op("/api/begin-maintenance/:host/:port/:owner/:reason", "take a maintenance lock (10 minutes)", s.beginMaintenance),
		op("/api/end-maintenance/:host/:port", "release a maintenance lock", s.endMaintenance),
		op("/api/begin-downtime/:host/:port/:owner/:reason", "downtime an instance (10 minutes)", s.beginDowntime),
		op("/api/begin-downtime/:host/:port/:owner/:reason/:duration", "downtime an instance", s.beginDowntime),
		op("/api/end-downtime/:host/:port", "end a downtime", s.endDowntime),
		{Path: "/api/can-replicate-from/:host/:port/:belowHost/:belowPort", Handler: s.canReplicate((*topology.Operator).CanReplicateFrom), Doc: "Message true/false"},
		{Path: "/api/can-replicate-from-gtid/:host/:port/:belowHost/:belowPort", Handler: s.canReplicate((*topology.Operator).CanReplicateFromGTID), Doc: "Message true/false, requiring GTID"},
		{Path: "/api/locate-gtid-errant/:host/:port", Handler: s.locateGTIDErrant, Example: envelopeExample("", `["mariadb-bin.000002"]`), Doc: "the binary logs of an instance that hold its errant GTIDs (Details: list of file names, empty when none)"},
		{Path: "/api/which-gtid-errant/:host/:port", Mutates: true, Handler: s.whichGTIDErrant,
			Example: envelopeExample("", `"0-24103-1001"`), Doc: "errant GTIDs of an instance against its cluster's master, both probed now (a refresh: authorised as a change); Details \"\" when none"},
		{Path: "/api/master-equivalent/:host/:port/:logFile/:logPos", Handler: s.masterEquivalent, Doc: "positions on other servers recorded as equivalent to logFile:logPos on this one; Details = [{Key, Coordinates}]"},
		{Path: "/api/restart-replica-statements/:host/:port", Handler: s.restartReplicaStatements, Query: []Param{q("q", "the statement to wrap")},
			Example: envelopeExample("statements", `["STOP SLAVE","SET GLOBAL slave_net_timeout=30","START SLAVE"]`), Doc: "statements wrapping ?q with the stop/start that keeps thread state"},
		{Path: "/api/in-maintenance/:host/:port", Handler: s.inMaintenance, Doc: "Message true/false"},
		{Path: "/api/maintenance", Bare: true, Handler: s.maintenance, Doc: "active maintenance locks"},
	}
	rs = append(rs, unsupportedRoutes()...)
	return append(rs, legacySynonyms(rs)...)
}

// operationExample is the example answer of an operation on live
// servers, by the shape its handler returns; nil for the maintenance and
// downtime routes, which only write the backend (their answers are
// recorded).
func operationExample(path string) *Example {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/"), "/")
	switch first {
	case "begin-maintenance":
		return envelopeExample("Maintenance begun: 7", exampleKey)
	case "end-maintenance", "begin-downtime", "end-downtime":
		return nil
	case "relocate-replicas", "move-up-replicas", "repoint-replicas":
		return exReplicasOp
	case "move-replicas-gtid":
		return envelopeExample("Moved 1 replicas of 127.0.0.1:24102", exampleKey)
	case "regroup-replicas", "regroup-replicas-gtid":
		return envelopeExample("127.0.0.1:24102 lost: 0, moved: 2", exampleKey)
	case "take-siblings":
		return envelopeExample("Took 2 siblings", exampleInstance)
	case "delay-replication":
		return envelopeExample("Replication delayed", "60")
	}
	return exInstanceOp
}

// unsupportedRoutes answer pseudo-GTID and binlog-server operations with
// a clear refusal: this orchestrator moves by GTID or binlog coordinates.
func unsupportedRoutes() []Route {
	var rs []Route
	for _, p := range []string{"match/:host/:port/:belowHost/:belowPort", "match-below/:host/:port/:belowHost/:belowPort",
		"match-up/:host/:port", "match-replicas/:host/:port/:belowHost/:belowPort", "match-up-replicas/:host/:port",
		"regroup-replicas-pgtid/:host/:port", "regroup-replicas-bls/:host/:port", "last-pseudo-gtid/:host/:port"} {
		name, _, _ := strings.Cut(p, "/")
		rs = append(rs, Route{Path: "/api/" + p, Doc: "not supported (pseudo-GTID / binlog servers)",
			Handler: func(*Request) (any, string, error) {
				return nil, "", fmt.Errorf("%w: %s is not supported: pseudo-GTID and binlog servers are not implemented; use relocate or move-gtid",
					inst.ErrBadRequest, name)
			}})
	}
	return rs
}

// legacySynonyms serves the legacy "slave" spellings of routes.
func legacySynonyms(rs []Route) []Route {
	names := map[string]string{"relocate-replicas": "relocate-slaves", "move-up-replicas": "move-up-slaves",
		"repoint-replicas": "repoint-slaves", "take-siblings": "enslave-siblings", "take-master": "enslave-master",
		"move-replicas-gtid": "move-slaves-gtid", "detach-replica": "detach-slave", "reattach-replica": "reattach-slave",
		"detach-replica-master-host": "detach-slave-master-host", "reattach-replica-master-host": "reattach-slave-master-host",
		"start-replica": "start-slave", "restart-replica": "restart-slave", "stop-replica": "stop-slave",
		"stop-replica-nice": "stop-slave-nice", "reset-replica": "reset-slave", "regroup-replicas": "regroup-slaves",
		"regroup-replicas-gtid": "regroup-slaves-gtid", "regroup-replicas-pgtid": "regroup-slaves-pgtid",
		"regroup-replicas-bls": "regroup-slaves-bls", "match-replicas": "match-slaves", "match-up-replicas": "match-up-slaves",
		"restart-replica-statements": "restart-slave-statements"}
	var out []Route
	for _, r := range rs {
		first, rest, _ := strings.Cut(strings.TrimPrefix(r.Path, "/api/"), "/")
		if legacy, ok := names[first]; ok {
			syn := r
			syn.Path = "/api/" + legacy + "/" + rest
			out = append(out, syn)
		}
	}
	return out
}

func (s *Server) operator() (*topology.Operator, error) {
	if s.deps.Operator == nil {
		return nil, fmt.Errorf("topology operations are not available on this node")
	}
	return s.deps.Operator, nil
}

// withKey is every instance handler's first half: parse :host/:port,
// find the operator, then call f.
func (s *Server) withKey(r *Request, f func(o *topology.Operator, key inst.InstanceKey) (any, string, error)) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	o, err := s.operator()
	if err != nil {
		return nil, "", err
	}
	return f(o, key)
}

// keyed serves an operation that returns the instance it changed.
func (s *Server) keyed(f keyOp) Handler {
	return func(r *Request) (any, string, error) {
		return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
			i, err := f(o, r.Ctx, key)
			if err != nil {
				return nil, "", err
			}
			return i, "Instance " + i.Key.String() + ": OK", nil
		})
	}
}

// destKey parses the destination named by params ("belowHost/belowPort").
func destKey(r *Request, params string) (inst.InstanceKey, error) {
	h, p, _ := strings.Cut(params, "/")
	return belowKey(r, h, p)
}

// belowKey parses a destination from the path parameters h and p.
func belowKey(r *Request, h, p string) (inst.InstanceKey, error) {
	return inst.ParseHostPort(r.Param(h), r.Param(p))
}

// moveTo serves a two-key operation; the destination is parsed first so a
// bad destination changes nothing.
func (s *Server) moveTo(params string, f keyDestOp) Handler {
	return func(r *Request) (any, string, error) {
		dest, err := destKey(r, params)
		if err != nil {
			return nil, "", err
		}
		return s.keyed(func(o *topology.Operator, ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
			return f(o, ctx, key, dest)
		})(r)
	}
}

// multi serves an operation on several replicas of an instance.
func (s *Server) multi(r *Request, f func(o *topology.Operator, key inst.InstanceKey) ([]*inst.Instance, error)) (any, string, error) {
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		list, err := f(o, key)
		if err != nil {
			return nonNil(list), "", err
		}
		return nonNil(list), fmt.Sprintf("Moved %d replicas of %s", len(list), key), nil
	})
}

func (s *Server) relocateReplicas(r *Request) (any, string, error) {
	below, err := destKey(r, belowParams)
	if err != nil {
		return nil, "", err
	}
	return s.multi(r, func(o *topology.Operator, key inst.InstanceKey) ([]*inst.Instance, error) {
		return o.RelocateReplicas(r.Ctx, key, below, r.Query("pattern"))
	})
}

func (s *Server) moveReplicasGTID(r *Request) (any, string, error) {
	below, err := destKey(r, belowParams)
	if err != nil {
		return nil, "", err
	}
	_, msg, err := s.multi(r, func(o *topology.Operator, key inst.InstanceKey) ([]*inst.Instance, error) {
		return o.MoveReplicasGTID(r.Ctx, key, below, r.Query("pattern"))
	})
	return below, msg, err
}

func (s *Server) moveUpReplicas(r *Request) (any, string, error) {
	return s.multi(r, func(o *topology.Operator, key inst.InstanceKey) ([]*inst.Instance, error) {
		return o.MoveUpReplicas(r.Ctx, key, r.Query("pattern"))
	})
}

func (s *Server) repointReplicas(r *Request) (any, string, error) {
	return s.multi(r, func(o *topology.Operator, key inst.InstanceKey) ([]*inst.Instance, error) {
		return o.RepointReplicas(r.Ctx, key, inst.InstanceKey{}, r.Query("pattern"))
	})
}

// regroup: Details is the promoted replica's key, Message the summary.
func (s *Server) regroup(f func(*topology.Operator, context.Context, inst.InstanceKey) (*topology.Regroup, error)) Handler {
	return func(r *Request) (any, string, error) {
		return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
			g, err := f(o, r.Ctx, key)
			if g == nil {
				return nil, "", err
			}
			return g.Promoted.Key, g.Summary(), err
		})
	}
}

func (s *Server) takeSiblings(r *Request) (any, string, error) {
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		n, err := o.TakeSiblings(r.Ctx, key)
		if err != nil {
			return nil, "", err
		}
		i, err := s.deps.Reader.Instance(r.Ctx, key)
		return i, fmt.Sprintf("Took %d siblings", n), err
	})
}

func (s *Server) readOnly(ro bool) Handler {
	return s.keyed(func(o *topology.Operator, ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
		return o.SetReadOnly(ctx, key, ro)
	})
}

func (s *Server) semiSync(master, enabled bool) Handler {
	return s.keyed(func(o *topology.Operator, ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
		return o.SetSemiSync(ctx, key, master, enabled)
	})
}

func (s *Server) delayReplication(r *Request) (any, string, error) {
	n, err := strconv.ParseUint(r.Param("seconds"), 10, 32)
	if err != nil {
		return nil, "", fmt.Errorf("%w: invalid seconds %q", inst.ErrBadRequest, r.Param("seconds"))
	}
	_, _, err = s.keyed(func(o *topology.Operator, ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
		return o.DelayReplication(ctx, key, uint(n))
	})(r)
	return n, "Replication delayed", err
}

func (s *Server) purgeBinaryLogs(r *Request) (any, string, error) {
	force := r.Query("force") == "true"
	return s.keyed(func(o *topology.Operator, ctx context.Context, key inst.InstanceKey) (*inst.Instance, error) {
		return o.PurgeBinaryLogs(ctx, key, r.Param("logFile"), force)
	})(r)
}

// whichGTIDErrant probes the instance and its cluster's master and
// answers the transactions only the instance executed.
func (s *Server) whichGTIDErrant(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	errant, err := s.deps.Operator.WhichGTIDErrant(r.Ctx, key)
	return errant, "", err
}

func (s *Server) locateGTIDErrant(r *Request) (any, string, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, "", err
	}
	logs, err := s.deps.Operator.LocateGTIDErrant(r.Ctx, key)
	return logs, "", err
}

// canReplicate answers Message "true" or "false" (with the reason in
// Details' place of the error message) for a replication check.
func (s *Server) canReplicate(check func(*topology.Operator, context.Context, inst.InstanceKey, inst.InstanceKey) error) Handler {
	return func(r *Request) (any, string, error) {
		below, err := destKey(r, belowParams)
		if err != nil {
			return nil, "", err
		}
		return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
			if err := check(o, r.Ctx, key, below); err != nil {
				return below, "false", nil
			}
			return below, "true", nil
		})
	}
}

// masterEquivalent lists the recorded equivalents of a binlog position.
func (s *Server) masterEquivalent(r *Request) (any, string, error) {
	pos, err := strconv.ParseInt(r.Param("logPos"), 10, 64)
	if err != nil {
		return nil, "", fmt.Errorf("%w: invalid binlog position %q", inst.ErrBadRequest, r.Param("logPos"))
	}
	coords := inst.BinlogCoordinates{LogFile: r.Param("logFile"), LogPos: pos}
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		list, err := o.EquivalentPositions(r.Ctx, key, coords)
		if err != nil {
			return nil, "", err
		}
		return list, fmt.Sprintf("Found %d equivalent coordinates", len(list)), nil
	})
}

func (s *Server) restartReplicaStatements(r *Request) (any, string, error) {
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		list, err := o.RestartReplicaStatements(r.Ctx, key, r.Query("q"))
		return list, "statements", err
	})
}

func (s *Server) beginMaintenance(r *Request) (any, string, error) {
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		id, err := o.BeginMaintenance(r.Ctx, key, r.Param("owner"), r.Param("reason"), topology.DefaultLockDuration)
		if err != nil {
			return nil, "", err
		}
		return key, fmt.Sprintf("Maintenance begun: %d", id), nil
	})
}

func (s *Server) endMaintenance(r *Request) (any, string, error) {
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		return key, "Maintenance ended: " + key.String(), o.EndMaintenance(r.Ctx, key)
	})
}

func (s *Server) inMaintenance(r *Request) (any, string, error) {
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		in, err := o.InMaintenance(r.Ctx, key)
		if err != nil || !in {
			return "", "false", err
		}
		return key.String(), "true", nil
	})
}

func (s *Server) maintenance(r *Request) (any, string, error) {
	list, err := s.deps.Store.ActiveMaintenance(r.Ctx)
	if list == nil {
		return []any{}, "", err
	}
	return list, "", err
}

func (s *Server) beginDowntime(r *Request) (any, string, error) {
	var d time.Duration
	if p := r.Param("duration"); p != "" {
		var err error
		if d, err = inst.ParseDuration(p); err != nil {
			return nil, "", err
		}
	}
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		if err := o.BeginDowntime(r.Ctx, key, r.Param("owner"), r.Param("reason"), d); err != nil {
			return nil, "", err
		}
		return key, "Downtime begun: " + key.String(), nil
	})
}

func (s *Server) endDowntime(r *Request) (any, string, error) {
	return s.withKey(r, func(o *topology.Operator, key inst.InstanceKey) (any, string, error) {
		return key, "Downtime ended: " + key.String(), o.EndDowntime(r.Ctx, key)
	})
}
