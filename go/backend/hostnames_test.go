package backend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"orchestrator/go/inst"
)

func TestHostnameResolvesAndUnresolves(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			now := time.Now()
			require.NoError(t, s.RecordHostnameResolve(ctx, "db-vip", "db1.example.com", now))
			require.NoError(t, s.RecordHostnameResolve(ctx, "old", "gone.example.com", now.Add(-2*time.Hour)))
			require.NoError(t, s.RecordHostnameResolve(ctx, "db-vip", "db2.example.com", now), "a new resolution replaces the old")
			m, err := s.HostnameResolves(ctx, now.Add(-time.Hour))
			require.NoError(t, err)
			require.Equal(t, map[string]string{"db-vip": "db2.example.com"}, m, "expired resolutions are left out")
			require.NoError(t, s.ResetHostnameResolves(ctx))
			m, err = s.HostnameResolves(ctx, time.Time{})
			require.NoError(t, err)
			require.Empty(t, m)

			require.NoError(t, s.RegisterHostnameUnresolve(ctx, "db1", "  vip1 "))
			for _, bad := range []string{"", "   ", strings.Repeat("v", 129)} {
				require.ErrorIs(t, s.RegisterHostnameUnresolve(ctx, "db2", bad), inst.ErrBadRequest, "%q", bad)
			}
			u, err := s.HostnameUnresolves(ctx)
			require.NoError(t, err)
			require.Equal(t, map[string]string{"db1": "vip1"}, u)
		})
	}
}

func TestHostAttributes(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			_, err := s.HostAttribute(ctx, GeneralAttributeHost, "db.example.com")
			require.ErrorIs(t, err, inst.ErrNotFound)
			require.NoError(t, s.SetHostAttribute(ctx, GeneralAttributeHost, "db.example.com", "db1:3306"))
			require.NoError(t, s.SetHostAttribute(ctx, GeneralAttributeHost, "db.example.com", "db2:3306"))
			require.NoError(t, s.SetHostAttribute(ctx, "db1", "db.example.com", "other host"))
			v, err := s.HostAttribute(ctx, GeneralAttributeHost, "db.example.com")
			require.NoError(t, err)
			require.Equal(t, "db2:3306", v)
		})
	}
}

// TestRequestDiscovery: a request is a row the poll loop finds due at once;
// a known instance is left as it is; an unanswered request is forgotten
// like any key never seen.
func TestRequestDiscovery(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, cfg)
			now := time.Now()
			known := &inst.Instance{Key: inst.InstanceKey{Hostname: "known", Port: 3306}, Version: "10.11", LastSeen: now, LastChecked: now, LastAttemptedCheck: now}
			require.NoError(t, s.WriteInstances(ctx, []*inst.Instance{known}))
			asked := inst.InstanceKey{Hostname: "asked", Port: 3306}
			require.NoError(t, s.RequestDiscovery(ctx, asked, now.Add(-48*time.Hour)))
			require.NoError(t, s.RequestDiscovery(ctx, known.Key, now))
			require.NoError(t, s.RequestDiscovery(ctx, asked, now), "asking twice is one request")

			due, err := s.DueInstanceKeys(ctx, now.Add(-time.Second))
			require.NoError(t, err)
			require.Equal(t, []inst.InstanceKey{asked}, due)
			k, err := s.ReadInstance(ctx, known.Key)
			require.NoError(t, err)
			require.Equal(t, "10.11", k.Version, "a known instance is untouched")

			n, err := s.ForgetUnseen(ctx, now.Add(-24*time.Hour))
			require.NoError(t, err)
			require.Equal(t, int64(1), n, "the request, never answered, counts from when it was first made")
			_, err = s.ReadInstance(ctx, asked)
			require.ErrorIs(t, err, inst.ErrNotFound)
		})
	}
}
