package http

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fieldSpec is one line of testdata/*_fields.txt: a path into a JSON
// object and the JSON type the reference gives it.
type fieldSpec struct{ path, kind string }

func readFieldSpecs(t *testing.T, file string) []fieldSpec {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var out []fieldSpec
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Fields(line)
		require.Len(t, parts, 2, "%s: %q", file, line)
		require.Contains(t, []string{"string", "number", "bool", "object", "array"}, parts[1], "%s: %q", file, line)
		out = append(out, fieldSpec{parts[0], parts[1]})
	}
	require.NoError(t, sc.Err())
	return out
}

// jsonKind names the JSON type of a value decoded into any.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return "unknown"
}

// shapeErrors lists what in obj differs from specs: missing fields and
// fields of another JSON type. A path "A.B" is member B of object A, "A[]"
// every element of array A.
func shapeErrors(obj map[string]any, specs []fieldSpec) []string {
	var errs []string
	for _, f := range specs {
		values, err := lookup(obj, f.path)
		if err != "" {
			errs = append(errs, err)
			continue
		}
		for _, v := range values {
			if k := jsonKind(v); k != f.kind {
				errs = append(errs, fmt.Sprintf("%s is a %s, the reference says %s", f.path, k, f.kind))
			}
		}
	}
	return errs
}

func lookup(obj map[string]any, path string) ([]any, string) {
	values := []any{obj}
	for _, step := range strings.Split(path, ".") {
		name, each := strings.CutSuffix(step, "[]")
		var next []any
		for _, v := range values {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Sprintf("%s: %s is inside a %s, not an object", path, step, jsonKind(v))
			}
			member, ok := m[name]
			if !ok {
				return nil, fmt.Sprintf("%s is missing", path)
			}
			if !each {
				next = append(next, member)
				continue
			}
			list, ok := member.([]any)
			if !ok {
				return nil, fmt.Sprintf("%s: %s is a %s, not an array", path, name, jsonKind(member))
			}
			next = append(next, list...)
		}
		values = next
	}
	return values, ""
}

// requireShape checks every field of specs in obj.
func requireShape(t *testing.T, what string, obj map[string]any, specs []fieldSpec) {
	t.Helper()
	require.Empty(t, shapeErrors(obj, specs), what)
}

// getJSON GETs a path that answers with a bare JSON value.
func (l *liveServer) getJSON(t *testing.T, path string) any {
	t.Helper()
	code, _, body := get(t, l.Server, path, "", "")
	require.Equal(t, 200, code, "%s: %s", path, body)
	var v any
	require.NoError(t, json.Unmarshal([]byte(body), &v), "%s", path)
	return v
}

func (l *liveServer) getObject(t *testing.T, path string) map[string]any {
	t.Helper()
	m, ok := l.getJSON(t, path).(map[string]any)
	require.True(t, ok, "%s answers an object", path)
	return m
}

func (l *liveServer) getObjects(t *testing.T, path string, n int) []map[string]any {
	t.Helper()
	list, ok := l.getJSON(t, path).([]any)
	require.True(t, ok, "%s answers an array", path)
	require.Len(t, list, n, path)
	out := make([]map[string]any, len(list))
	for i, v := range list {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%s: element %d is an object", path, i)
		out[i] = m
	}
	return out
}

// TestAPIShapesMatchReference: the Instance and ClusterInfo objects of the
// discovery and cluster routes carry every field of the reference's JSON
// objects, each with the reference's JSON type, on a real topology.
func TestAPIShapesMatchReference(t *testing.T) {
	l := newLiveServer(t)
	instance := readFieldSpecs(t, "testdata/instance_fields.txt")
	clusterInfo := readFieldSpecs(t, "testdata/cluster_info_fields.txt")
	topLevel := 0
	for _, f := range instance {
		if !strings.ContainsAny(f.path, ".[") {
			topLevel++
		}
	}
	require.Equal(t, 87, topLevel, "every Instance field of the reference is listed")
	require.Len(t, clusterInfo, 7, "every ClusterInfo field of the reference is listed")

	for _, k := range []string{hp(l.master), hp(l.r1), hp(l.r3)} {
		requireShape(t, "/api/instance/"+k, l.getObject(t, "/api/instance/"+k), instance)
	}
	m := l.getObject(t, "/api/instance/"+hp(l.master))
	require.Len(t, m["Replicas"], 2, "the master's replicas are checked element by element")

	for _, path := range []string{"/api/cluster/" + l.master.String(), "/api/all-instances"} {
		for n, i := range l.getObjects(t, path, 4) {
			requireShape(t, fmt.Sprintf("%s element %d", path, n), i, instance)
		}
	}
	for _, c := range l.getObjects(t, "/api/clusters-info", 1) {
		requireShape(t, "/api/clusters-info", c, clusterInfo)
	}
	requireShape(t, "/api/cluster-info", l.getObject(t, "/api/cluster-info/"+l.r3.String()), clusterInfo)
}

// TestShapeCheckCatchesMistakes: the checker itself fails on a missing
// field and on a wrong type.
func TestShapeCheckCatchesMistakes(t *testing.T) {
	specs := []fieldSpec{{"Key", "object"}, {"Key.Port", "number"}, {"Replicas[].Hostname", "string"}}
	ok := map[string]any{"Key": map[string]any{"Port": 3306.0}, "Replicas": []any{map[string]any{"Hostname": "db2"}}}
	requireShape(t, "ok", ok, specs)
	for name, bad := range map[string]map[string]any{
		"missing member":   {"Key": map[string]any{}, "Replicas": []any{}},
		"wrong type":       {"Key": map[string]any{"Port": "3306"}, "Replicas": []any{}},
		"not an array":     {"Key": map[string]any{"Port": 1.0}, "Replicas": map[string]any{}},
		"element mismatch": {"Key": map[string]any{"Port": 1.0}, "Replicas": []any{map[string]any{"Hostname": 1.0}}},
		"null object":      {"Key": nil, "Replicas": []any{}},
	} {
		require.NotEmpty(t, shapeErrors(bad, specs), name)
	}
}
