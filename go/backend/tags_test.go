package backend

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

func TestParseTagQuery(t *testing.T) {
	t.Parallel()
	q, err := ParseTagQuery("role=backup, dc, ~broken,!old")
	require.NoError(t, err)
	require.Equal(t, []Tag{{Name: "role", Value: "backup", HasValue: true}, {Name: "dc"}, {Name: "broken", Negate: true}, {Name: "old", Negate: true}}, q)
	_, err = ParseTagQuery("a,,b")
	require.ErrorIs(t, err, inst.ErrBadRequest)
	_, err = ParseTag("~x", false)
	require.NoError(t, err, "without negation ~ is part of the name")
	_, err = ParseTag("=v", false)
	require.ErrorIs(t, err, inst.ErrBadRequest)
}

// seedInstances writes instances of one cluster for the table tests.
func seedInstances(t *testing.T, s *Store, cluster string, keys ...inst.InstanceKey) {
	t.Helper()
	var list []*inst.Instance
	for _, k := range keys {
		list = append(list, &inst.Instance{Key: k, ClusterName: cluster, Version: "10.11.6-MariaDB"})
	}
	require.NoError(t, s.WriteInstances(context.Background(), list))
}

func TestTags(t *testing.T) {
	a, b, c := inst.InstanceKey{Hostname: "a", Port: 1}, inst.InstanceKey{Hostname: "b", Port: 1}, inst.InstanceKey{Hostname: "c", Port: 1}
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			seedInstances(t, s, "a:1", a, b, c)
			require.NoError(t, s.PutTag(ctx, a, Tag{Name: "role", Value: "backup"}))
			require.NoError(t, s.PutTag(ctx, a, Tag{Name: "role", Value: "analytics"}), "a second value replaces the first")
			require.NoError(t, s.PutTag(ctx, a, Tag{Name: "ssd"}))
			require.NoError(t, s.PutTag(ctx, b, Tag{Name: "ssd"}))
			tags, err := s.Tags(ctx, a)
			require.NoError(t, err)
			require.Equal(t, []string{"role=analytics", "ssd"}, []string{tags[0].String(), tags[1].String()})
			v, err := s.TagValue(ctx, a, "role")
			require.NoError(t, err)
			require.Equal(t, "analytics", v)
			_, err = s.TagValue(ctx, c, "role")
			require.ErrorIs(t, err, inst.ErrNotFound)

			q, _ := ParseTagQuery("ssd,~role")
			keys, err := s.Tagged(ctx, q)
			require.NoError(t, err)
			require.Equal(t, []inst.InstanceKey{b}, keys)
			q, _ = ParseTagQuery("!ssd")
			keys, err = s.Tagged(ctx, q)
			require.NoError(t, err)
			require.Equal(t, []inst.InstanceKey{c}, keys)

			keys, err = s.Untag(ctx, &a, Tag{Name: "role", Value: "other", HasValue: true})
			require.NoError(t, err)
			require.Empty(t, keys, "a different value leaves the tag")
			keys, err = s.Untag(ctx, nil, Tag{Name: "ssd"})
			require.NoError(t, err)
			require.Equal(t, []inst.InstanceKey{a, b}, keys)
			tags, err = s.Tags(ctx, b)
			require.NoError(t, err)
			require.Empty(t, tags)
		})
	}
}

func TestPoolsHostnamesHistoryKV(t *testing.T) {
	a, b, x := inst.InstanceKey{Hostname: "a", Port: 1}, inst.InstanceKey{Hostname: "b", Port: 1}, inst.InstanceKey{Hostname: "x", Port: 1}
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			seedInstances(t, s, "a:1", a, b)
			seedInstances(t, s, "x:1", x)
			require.NoError(t, s.SubmitPoolInstances(ctx, "web", []inst.InstanceKey{a, x}))
			require.NoError(t, s.SubmitPoolInstances(ctx, "web", []inst.InstanceKey{a, b, x}), "resubmitting replaces")
			require.NoError(t, s.SubmitPoolInstances(ctx, "etl", []inst.InstanceKey{b}))
			pools, err := s.PoolInstances(ctx, "a:1", "", time.Now().Add(-time.Hour))
			require.NoError(t, err)
			require.Equal(t, map[string][]inst.InstanceKey{"web": {a, b}, "etl": {b}}, pools)
			pools, err = s.PoolInstances(ctx, "a:1", "etl", time.Now().Add(-time.Hour))
			require.NoError(t, err)
			require.Equal(t, map[string][]inst.InstanceKey{"etl": {b}}, pools)
			n, err := s.ExpirePools(ctx, time.Now().Add(time.Minute))
			require.NoError(t, err)
			require.EqualValues(t, 4, n)

			require.NoError(t, s.RegisterHostnameUnresolve(ctx, "a", "vip-a"))
			m, err := s.HostnameUnresolves(ctx)
			require.NoError(t, err)
			require.Equal(t, map[string]string{"a": "vip-a"}, m)
			require.NoError(t, s.DeregisterHostnameUnresolve(ctx, "a"))
			m, err = s.HostnameUnresolves(ctx)
			require.NoError(t, err)
			require.Empty(t, m)

			at := time.Now()
			n, err = s.SnapshotTopologies(ctx, at)
			require.NoError(t, err)
			require.EqualValues(t, 3, n)
			n, err = s.SnapshotTopologies(ctx, at)
			require.NoError(t, err)
			require.EqualValues(t, 0, n, "one snapshot per second")

			require.NoError(t, s.PutKVPairs(ctx, []KVPair{{Key: "mysql/master/c1", Value: "a:1"}}))
			require.NoError(t, s.PutKVPairs(ctx, []KVPair{{Key: "mysql/master/c1", Value: "b:1"}}))
			v, ok, err := s.KVValue(ctx, "mysql/master/c1")
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, "b:1", v)
			_, ok, err = s.KVValue(ctx, "nope")
			require.NoError(t, err)
			require.False(t, ok)
		})
	}
}
