package backend

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

// TestMastersOnlyMatchesIsMaster: the SQL filter keeps exactly the rows
// for which inst.Instance.IsMaster holds, on both dialects.
func TestMastersOnlyMatchesIsMaster(t *testing.T) {
	key := func(h string) inst.InstanceKey { return inst.InstanceKey{Hostname: h, Port: 3306} }
	m := key("m")
	rows := []*inst.Instance{
		{Key: key("master")},
		{Key: key("file-replica"), MasterKey: m, ReadBinlogCoordinates: inst.BinlogCoordinates{LogFile: "bin.000001", LogPos: 4}},
		{Key: key("oracle-gtid-replica"), MasterKey: m, UsingOracleGTID: true},
		{Key: key("mariadb-gtid-replica"), MasterKey: m, UsingMariaDBGTID: true},
		{Key: key("no-coordinates"), MasterKey: m},
		{Key: key("underscore-master"), MasterKey: inst.InstanceKey{Hostname: "_", Port: 3306}, UsingOracleGTID: true},
		{Key: key("no-port"), MasterKey: inst.InstanceKey{Hostname: "m"}, UsingOracleGTID: true},
		{Key: key("detached"), MasterKey: m.Detached(), UsingMariaDBGTID: true},
	}
	want := []string{}
	for _, i := range rows {
		i.ClusterName, i.LastChecked = "m:3306", time.Now()
		if i.IsMaster() {
			want = append(want, i.Key.Hostname)
		}
	}
	require.Len(t, want, 5)
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			require.NoError(t, s.WriteInstances(ctx, rows))
			got, err := s.ReadInstances(ctx, InstanceFilter{MastersOnly: true})
			require.NoError(t, err)
			names := []string{}
			for _, i := range got {
				names = append(names, i.Key.Hostname)
			}
			require.ElementsMatch(t, want, names)
		})
	}
}

func TestClustersOfHostnamePrefix(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			require.NoError(t, s.WriteInstances(ctx, []*inst.Instance{
				{Key: inst.InstanceKey{Hostname: "db-a1", Port: 3306}, ClusterName: "a"},
				{Key: inst.InstanceKey{Hostname: "db-a2", Port: 3306}, ClusterName: "a"},
				{Key: inst.InstanceKey{Hostname: "db-b1", Port: 3306}, ClusterName: "b"},
			}))
			for prefix, want := range map[string][]string{"db-a": {"a"}, "db-": {"a", "b"}, "db-b1": {"b"}, "x": {}} {
				got, err := s.ClustersOfHostnamePrefix(ctx, prefix)
				require.NoError(t, err)
				require.Equal(t, want, got, prefix)
			}
		})
	}
}
