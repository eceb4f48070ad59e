package mysql

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"orchestrator/go/config"
	"orchestrator/go/inst"
)

// configSteps are the operator's queries (ReplicationLagQuery and the
// Detect*Query keys), each a single SELECT returning one value. They run
// in the probe's batch after the core statements; a failing one is
// recorded as a warning and leaves its field empty.
func (p *probe) configSteps(cfg *config.Config) []step {
	i := p.inst
	var steps []step
	add := func(name, query string, set func(string) error) {
		if query = trimQuery(query); query != "" {
			steps = append(steps, step{name: name, query: query, read: readString(func(v string) {
				if err := set(v); err != nil {
					p.warn(fmt.Errorf("%s: %w", name, err))
				}
			}), optional: true})
		}
	}
	text := func(dst *string) func(string) error {
		return func(v string) error { *dst = v; return nil }
	}
	add("ReplicationLagQuery", cfg.ReplicationLagQuery, p.setLag)
	add("DetectDataCenterQuery", cfg.DetectDataCenterQuery, text(&i.DataCenter))
	add("DetectRegionQuery", cfg.DetectRegionQuery, text(&i.Region))
	add("DetectPhysicalEnvironmentQuery", cfg.DetectPhysicalEnvironmentQuery, text(&i.PhysicalEnvironment))
	add("DetectInstanceAliasQuery", cfg.DetectInstanceAliasQuery, text(&i.InstanceAlias))
	add("DetectClusterAliasQuery", cfg.DetectClusterAliasQuery, text(&i.SuggestedClusterAlias))
	add("DetectClusterDomainQuery", cfg.DetectClusterDomainQuery, text(&i.ClusterDomain))
	add("DetectPromotionRuleQuery", cfg.DetectPromotionRuleQuery, func(v string) error {
		rule, err := inst.ParsePromotionRule(strings.TrimSpace(v))
		if err == nil {
			i.PromotionRule = rule
		}
		return err
	})
	add("DetectSemiSyncEnforcedQuery", cfg.DetectSemiSyncEnforcedQuery, func(v string) error {
		i.SemiSyncPriority = parseUint(v)
		return nil
	})
	return steps
}

// setLag records ReplicationLagQuery's value: NULL is unknown lag, a
// negative value counts as none.
func (p *probe) setLag(v string) error {
	if v == "" {
		p.lag = &sql.NullInt64{}
		return nil
	}
	n, ok := parseInt(v)
	if !ok {
		return fmt.Errorf("not a number: %q", v)
	}
	p.lag = &sql.NullInt64{Int64: max(n, 0), Valid: true}
	return nil
}

var errNoRows = errors.New("no rows")

// readString reads the first column of the first row (NULL as "").
func readString(set func(string)) func(*sql.Rows) error {
	return func(rows *sql.Rows) error {
		vals, err := readValues(rows)
		if err != nil {
			return err
		}
		if len(vals) == 0 {
			return errNoRows
		}
		set(vals[0].String)
		return nil
	}
}

// trimQuery drops surrounding space and trailing semicolons, so a
// configured query can join a batch.
func trimQuery(q string) string {
	return strings.TrimRight(strings.TrimSpace(q), "; \t\r\n")
}
