package http

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/backend"
	"orchestrator/go/config"
	"orchestrator/go/discovery"
	"orchestrator/go/inst"
	"orchestrator/go/mysql"
	"orchestrator/go/recovery"
	"orchestrator/go/topology"
)

const examplesFile = "testdata/api_examples.json"

// The example topology: a master and two replicas on loopback addresses
// where no server listens (a probe is refused at once, and no name needs
// a DNS lookup).
func exampleKeys() (m, r1, r2 inst.InstanceKey) {
	return inst.InstanceKey{Hostname: "127.0.0.11", Port: 3306}, inst.InstanceKey{Hostname: "127.0.0.12", Port: 3306},
		inst.InstanceKey{Hostname: "127.0.0.13", Port: 3306}
}

const exampleCluster = "127.0.0.11:3306"

// newExampleServer is a server with every component on a fresh SQLite
// store seeded with exampleKeys (backend rows, no live servers: probes
// fail), an alias, a tag, a downtime, a maintenance
// lock, a candidate, a pool, audit rows, a recovery with a step, a
// detection and hostname mappings. This node is the leader.
func newExampleServer(t testing.TB) *Server {
	t.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.BackendDB, cfg.SQLite3DataFile = "sqlite3", filepath.Join(t.TempDir(), "o.db")
	cfg.MySQLConnectTimeoutSeconds, cfg.MySQLDiscoveryReadTimeoutSeconds = 1, 1
	store, err := backend.Open(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, store.Migrate(ctx))
	t.Cleanup(func() { _ = store.Close() })
	conn := mysql.NewConnector(cfg)
	t.Cleanup(func() { _ = conn.Close() })
	in := mysql.NewInspector(conn, cfg)
	ap := mysql.NewApplier(conn, cfg, in)
	d := discovery.New(store, in, cfg)
	reader := topology.NewReader(store, cfg)
	holder := backend.LockHolder{Hostname: "h", Token: "t"}
	op := topology.NewOperator(store, reader, in, ap, d.Probe, cfg, holder)
	rc := recovery.New(recovery.Deps{Store: store, Reader: reader, Inspector: in, Applier: ap, Probe: d.Probe, Config: cfg, Holder: holder})
	s := New(cfg, Deps{Store: store, Reader: reader, Discoverer: d, Operator: op, Recoverer: rc, Node: fakeNode{leader: true}})
	seedExamples(t, s, holder)
	return s
}

func seedExamples(t testing.TB, s *Server, holder backend.LockHolder) {
	t.Helper()
	ctx := context.Background()
	st := s.deps.Store
	m, r1, r2 := exampleKeys()
	now := time.Now()
	mk := func(k, master inst.InstanceKey, depth uint, lag int64) *inst.Instance {
		i := &inst.Instance{Key: k, MasterKey: master, ClusterName: exampleCluster, ReplicationDepth: depth, Version: "10.11.6-MariaDB",
			LogBinEnabled: true, IsLastCheckValid: true, LastSeen: now, LastChecked: now, ServerID: uint(k.Port),
			ReplicationLagSeconds: sql.NullInt64{Int64: lag, Valid: depth > 0}}
		if depth == 0 {
			i.Replicas = []inst.InstanceKey{r1, r2}
		}
		return i
	}
	require.NoError(t, st.WriteInstances(ctx, []*inst.Instance{mk(m, inst.InstanceKey{}, 0, 0), mk(r1, m, 1, 0), mk(r2, m, 1, 7)}))
	require.NoError(t, st.SetClusterAliasOverride(ctx, exampleCluster, "prod"))
	require.NoError(t, st.PutTag(ctx, r1, backend.Tag{Name: "role", Value: "backup", HasValue: true}))
	require.NoError(t, st.BeginDowntime(ctx, backend.Downtime{Key: r1, Owner: "dba", Reason: "upgrade", BeginsAt: now, EndsAt: now.Add(time.Hour)}))
	_, err := st.BeginMaintenance(ctx, []inst.InstanceKey{r1}, "dba", "backup", 10*time.Minute, holder)
	require.NoError(t, err)
	require.NoError(t, st.RegisterCandidate(ctx, r2, inst.PreferPromoteRule))
	require.NoError(t, st.SubmitPoolInstances(ctx, "pool1", []inst.InstanceKey{r1}))
	require.NoError(t, st.WriteAudit(ctx, "begin-maintenance", r1, exampleCluster, "maintenance begun by dba: backup"))
	rec := &backend.RecoveryRow{UID: "rec-1", Key: m, StartActivePeriod: now.Add(-time.Hour), EndRecovery: now.Add(-time.Hour + 3*time.Second),
		ProcessingNodeHostname: "h", ProcessingNodeToken: "t", SuccessorKey: r1, Analysis: "DeadMaster", ClusterName: exampleCluster, ClusterAlias: "prod",
		IsSuccessful: true, RecoveryType: recovery.TypeGTID, Kind: recovery.KindMaster, ParticipatingInstanceKeys: []inst.InstanceKey{m, r1},
		ReplicaHosts: []inst.InstanceKey{r1, r2}}
	_, err = st.InsertRecovery(ctx, rec)
	require.NoError(t, err)
	require.NoError(t, st.WriteRecoveryStep(ctx, "rec-1", "promoted r1:3306"))
	_, _, err = st.InsertDetection(ctx, backend.Detection{Key: m, Analysis: "DeadMaster", ClusterName: exampleCluster, ClusterAlias: "prod",
		CountAffectedReplicas: 2, IsActionable: true, ProcessingNodeHostname: "h", ProcessingNodeToken: "t"})
	require.NoError(t, err)
	require.NoError(t, st.RecordAnalysis(ctx, map[inst.InstanceKey]string{m: "NoProblem"}))
	require.NoError(t, st.RecordBlockedRecovery(ctx, backend.BlockedRecovery{FailedInstanceKey: r2, ClusterName: exampleCluster, Analysis: "UnreachableMaster",
		BlockingRecoveryId: 1, Reason: "a recovery of this cluster ran within RecoveryPeriodBlockSeconds"}))
	require.NoError(t, st.RecordEquivalence(ctx,
		backend.InstanceCoordinates{Key: m, Coordinates: inst.BinlogCoordinates{LogFile: "mariadb-bin.000002", LogPos: 4}},
		backend.InstanceCoordinates{Key: r1, Coordinates: inst.BinlogCoordinates{LogFile: "mariadb-bin.000007", LogPos: 1280}}))
	require.NoError(t, st.RegisterHostnameUnresolve(ctx, "r1", "r1-vip"))
	require.NoError(t, st.RecordHostnameResolve(ctx, "r1.example.com", "r1", now))
	require.NoError(t, st.PutKVPairs(ctx, []backend.KVPair{{Key: "mysql/master/prod", Value: exampleCluster}}))
}

// exampleParams fill path parameters so that they name the seeded rows.
var exampleParams = map[string]string{
	"host": "127.0.0.12", "port": "3306", "belowHost": "127.0.0.13", "belowPort": "3306", "siblingHost": "127.0.0.13", "siblingPort": "3306",
	"candidateHost": "127.0.0.12", "candidatePort": "3306", "designatedHost": "127.0.0.12", "designatedPort": "3306",
	"clusterHint": exampleCluster, "clusterName": exampleCluster, "clusterAlias": "prod", "tagName": "role", "tagValue": "backup",
	"pool": "pool1", "page": "0", "id": "1", "uid": "rec-1", "recoveryId": "1", "maintenanceKey": "1", "owner": "dba",
	"reason": "upgrade", "duration": "1h", "promotionRule": "prefer", "seconds": "60", "logFile": "mariadb-bin.000002",
	"logPos": "4", "virtualname": "r1-vip", "searchString": "127.0.0.12", "errorStatusCode": "503", "name": "goroutine",
	"process": "42", "hint": "node2", "node": "node2", "addr": "10.0.0.2:10008",
	"authenticationToken": "x", "raftBind": "10.0.0.1:10008", "raftAdvertise": "10.0.0.1:10008",
}

// exampleQuery are the query parameters an example request sends, when
// the route declares them.
var exampleQuery = map[string]string{
	"s": "127.0.0.12", "tag": "role=backup", "instances": "127.0.0.12:3306", "alias": "prod", "comment": "checked", "q": "SET GLOBAL slave_net_timeout=30",
}

func examplePath(rt Route) string {
	segs := strings.Split(rt.Path, "/")
	for n, seg := range segs {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			v, known := exampleParams[name]
			if !known {
				panic("no example value for :" + name + " of " + rt.Path)
			}
			segs[n] = url.PathEscape(v)
		}
	}
	path := strings.Join(segs, "/")
	vals := url.Values{}
	for _, p := range rt.Query {
		if v, ok := exampleQuery[p.Name]; ok {
			vals.Set(p.Name, v)
		}
	}
	if rt.Path == "/api/tagged" || rt.Path == "/api/untag-all" || strings.HasPrefix(rt.Path, "/api/tag-value/") || strings.HasPrefix(rt.Path, "/api/untag/") {
		vals.Set("tag", "role")
	}
	if len(vals) > 0 {
		path += "?" + vals.Encode()
	}
	return path
}

// recordExample answers one request and trims it to an example.
func recordExample(t *testing.T, s *Server, rt Route) Example {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	u, err := url.Parse(examplePath(rt))
	require.NoError(t, err)
	req.URL = u
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	ex := Example{Status: rec.Code}
	ct := rec.Header().Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") {
		ex.ContentType = ct
		lines := strings.SplitAfter(rec.Body.String(), "\n")
		if len(lines) > 16 {
			lines = append(lines[:16], "...\n")
		}
		ex.Body, err = json.Marshal(strings.Join(lines, ""))
		require.NoError(t, err)
		return ex
	}
	ex.Body, err = trimJSON(rec.Body.Bytes())
	require.NoError(t, err, "%s: %s", rt.Path, rec.Body.String())
	return ex
}

// Trimming: arrays keep their first element, objects their first
// maxExampleFields fields, strings their first maxExampleText bytes.
const (
	maxExampleFields = 14
	maxExampleText   = 160
)

func trimJSON(raw []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := trimValue(dec, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func trimValue(dec *json.Decoder, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		if s, isString := tok.(string); isString && len(s) > maxExampleText {
			tok = strings.ToValidUTF8(s[:maxExampleText], "") + "..."
		}
		b, err := json.Marshal(tok)
		out.Write(b)
		return err
	}
	open, keep := string(delim), 1
	if delim == '{' {
		keep = maxExampleFields
	}
	out.WriteString(open)
	for n := 0; dec.More(); n++ {
		if delim == '{' {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			if n < keep {
				if n > 0 {
					out.WriteString(",")
				}
				b, _ := json.Marshal(key)
				out.Write(b)
				out.WriteString(":")
			}
		}
		if n >= keep {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if delim == '[' && n > 0 {
			out.WriteString(",")
		}
		if err := trimValue(dec, out); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	out.WriteString(map[string]string{"{": "}", "[": "]"}[open])
	return nil
}

// skeleton is a JSON value's structure: object keys and value types.
func skeleton(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "text"
	}
	var walk func(v any) string
	walk = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if len(keys) > 0 && strings.ContainsAny(strings.Join(keys, ""), "/:.") {
				return "{map}" // keyed by data (routes, hosts), not a struct's fields
			}
			parts := make([]string, len(keys))
			for n, k := range keys {
				parts[n] = k + ":" + walk(x[k])
			}
			return "{" + strings.Join(parts, ",") + "}"
		case []any:
			if len(x) == 0 {
				return "[]"
			}
			return "[" + walk(x[0]) + "]"
		case nil:
			return "null"
		}
		return fmt.Sprintf("%T", v)
	}
	return walk(v)
}

// TestAPIExamples keeps the recorded examples in step with the routes:
// every route has an example (recorded or its own), every recorded one
// belongs to a route, none is a server fault, and every read route still
// answers with the recorded status and structure. With UPDATE_EXAMPLES=1
// it records them again: read routes on one seeded store, each mutating
// route on a fresh one; routes with their own Example are not run.
func TestAPIExamples(t *testing.T) {
	routes := New(config.Defaults(), Deps{}).Routes()
	if os.Getenv("UPDATE_EXAMPLES") == "1" {
		recordExamples(t, routes)
	}
	recorded := map[string]Example{}
	require.NoError(t, json.Unmarshal(recordedExamples, &recorded))
	byPath := map[string]Route{}
	for _, rt := range routes {
		byPath[rt.Path] = rt
		_, ok := exampleFor(rt)
		require.True(t, ok, "route %s has no example: run UPDATE_EXAMPLES=1 go test ./go/http -run TestAPIExamples, or give it an Example", rt.Path)
		if rt.Example != nil {
			require.NotContains(t, recorded, rt.Path, "%s has its own Example and a recorded one", rt.Path)
			require.True(t, rt.Example.ContentType != "" || json.Valid(rt.Example.Body), "Example of %s is not JSON", rt.Path)
		}
	}
	reads := newExampleServer(t)
	for path, ex := range recorded {
		rt, ok := byPath[path]
		require.True(t, ok, "recorded example for %s, which is not a route", path)
		require.Less(t, ex.Status, 500, "recorded example of %s is a server fault: give the route an Example", path)
		require.True(t, ex.ContentType != "" || json.Valid(ex.Body), "example of %s", path)
		if rt.mutates(httptest.NewRequest(http.MethodGet, examplePath(rt), nil)) || ex.ContentType != "" || timingSeries(path) {
			continue
		}
		now := recordExample(t, reads, rt)
		require.Equal(t, ex.Status, now.Status, "%s answers %s now", path, now.Body)
		require.Equal(t, skeleton(ex.Body), skeleton(now.Body), "%s changed shape: run UPDATE_EXAMPLES=1 go test ./go/http -run TestAPIExamples", path)
	}
}

// timingSeries: the routes answering what happened in the last :seconds
// (probes, queue samples, statements, batch writes); their answer's shape
// depends on what this process did meanwhile (an empty list when nothing),
// so their recorded example is documentation only.
func timingSeries(path string) bool { return strings.Contains(path, "-metrics-") }

func recordExamples(t *testing.T, routes []Route) {
	reads := newExampleServer(t)
	out := map[string]Example{}
	for _, rt := range routes {
		if rt.Example != nil {
			continue
		}
		s := reads
		if rt.mutates(httptest.NewRequest(http.MethodGet, examplePath(rt), nil)) {
			s = newExampleServer(t)
		}
		out[rt.Path] = recordExample(t, s, rt)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(examplesFile, append(b, '\n'), 0o644))
	recordedExamples = b
	loadExamples = sync.OnceValue(func() map[string]Example { return out })
}
