package backend

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"orchestrator/go/inst"
)

// Tag is a name with an optional value attached to an instance
// (table database_instance_tags).
type Tag struct {
	Name     string
	Value    string
	HasValue bool // "name=value" rather than "name"
	Negate   bool // only in queries: "~name" or "!name"
}

// String renders a tag as upstream's API does: "name" or "name=value".
func (t Tag) String() string {
	if t.Value == "" {
		return t.Name
	}
	return t.Name + "=" + t.Value
}

// ParseTag reads "name", "name=value" and, when negation is allowed,
// "~name" / "!name".
func ParseTag(s string, allowNegation bool) (Tag, error) {
	s = strings.TrimSpace(s)
	var t Tag
	if allowNegation && (strings.HasPrefix(s, "~") || strings.HasPrefix(s, "!")) {
		t.Negate, s = true, s[1:]
	}
	name, value, hasValue := strings.Cut(s, "=")
	t.Name, t.Value, t.HasValue = strings.TrimSpace(name), strings.TrimSpace(value), hasValue
	if t.Name == "" {
		return Tag{}, fmt.Errorf("%w: empty tag name in %q", inst.ErrBadRequest, s)
	}
	if len(t.Name) > 128 || len(t.Value) > 128 {
		return Tag{}, fmt.Errorf("%w: tag longer than 128 characters", inst.ErrBadRequest)
	}
	return t, nil
}

// ParseTagQuery reads upstream's tag query: a comma list of tags that must
// all hold, each optionally negated.
func ParseTagQuery(s string) ([]Tag, error) {
	var out []Tag
	for _, part := range strings.Split(s, ",") {
		t, err := ParseTag(part, true)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// PutTag sets a tag on an instance, replacing its previous value.
func (s *Store) PutTag(ctx context.Context, key inst.InstanceKey, t Tag) error {
	_, err := s.exec(ctx, s.dialect.Upsert("database_instance_tags",
		[]string{"hostname", "port", "tag_name", "tag_value", "last_updated"}, []string{"hostname", "port", "tag_name"}),
		key.Hostname, key.Port, t.Name, t.Value, ts(time.Now()))
	if err != nil {
		return fmt.Errorf("tag %s: %w", key, err)
	}
	return nil
}

// Tags lists an instance's tags, sorted by name.
func (s *Store) Tags(ctx context.Context, key inst.InstanceKey) ([]Tag, error) {
	out := []Tag{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var t Tag
		if err := rows.Scan(&t.Name, &t.Value); err != nil {
			return err
		}
		t.HasValue = t.Value != ""
		out = append(out, t)
		return nil
	}, `SELECT tag_name, tag_value FROM database_instance_tags WHERE hostname=? AND port=? ORDER BY tag_name`, key.Hostname, key.Port)
	if err != nil {
		return nil, fmt.Errorf("read tags of %s: %w", key, err)
	}
	return out, nil
}

// TagValue returns the value of one tag; a missing tag is inst.ErrNotFound.
func (s *Store) TagValue(ctx context.Context, key inst.InstanceKey, name string) (string, error) {
	tags, err := s.Tags(ctx, key)
	if err != nil {
		return "", err
	}
	for _, t := range tags {
		if t.Name == name {
			return t.Value, nil
		}
	}
	return "", fmt.Errorf("tag %s not found on %s: %w", name, key, inst.ErrNotFound)
}

// Untag removes a tag (matching its value too when t.HasValue) from one
// instance, or from every instance when key is nil. It returns the keys
// that lost the tag.
func (s *Store) Untag(ctx context.Context, key *inst.InstanceKey, t Tag) ([]inst.InstanceKey, error) {
	where, args := `tag_name=?`, []any{t.Name}
	if t.HasValue {
		where, args = where+` AND tag_value=?`, append(args, t.Value)
	}
	if key != nil {
		where, args = where+` AND hostname=? AND port=?`, append(args, key.Hostname, key.Port)
	}
	keys, err := s.tagKeys(ctx, where, args...)
	if err != nil {
		return nil, fmt.Errorf("untag %s: %w", t.Name, err)
	}
	if _, err := s.exec(ctx, `DELETE FROM database_instance_tags WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("untag %s: %w", t.Name, err)
	}
	return keys, nil
}

// Tagged returns the keys of known instances matching every tag of the
// query (negated tags: instances without that tag). The candidates are
// every known or tagged instance.
func (s *Store) Tagged(ctx context.Context, query []Tag) ([]inst.InstanceKey, error) {
	result, err := s.InstanceKeys(ctx)
	if err != nil {
		return nil, err
	}
	tagged, err := s.tagKeys(ctx, `1=1`)
	if err != nil {
		return nil, fmt.Errorf("read tagged instances: %w", err)
	}
	for _, k := range tagged {
		if !slices.Contains(result, k) {
			result = append(result, k)
		}
	}
	for _, t := range query {
		where, args := `tag_name=?`, []any{t.Name}
		if t.HasValue {
			where, args = where+` AND tag_value=?`, append(args, t.Value)
		}
		having, err := s.tagKeys(ctx, where, args...)
		if err != nil {
			return nil, fmt.Errorf("read tagged instances: %w", err)
		}
		result = slices.DeleteFunc(result, func(k inst.InstanceKey) bool { return slices.Contains(having, k) == t.Negate })
	}
	if result == nil {
		result = []inst.InstanceKey{}
	}
	return result, nil
}

func (s *Store) tagKeys(ctx context.Context, where string, args ...any) ([]inst.InstanceKey, error) {
	out := []inst.InstanceKey{}
	err := s.queryRows(ctx, func(rows *sql.Rows) error {
		var k inst.InstanceKey
		if err := rows.Scan(&k.Hostname, &k.Port); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	}, `SELECT hostname, port FROM database_instance_tags WHERE `+where+` ORDER BY hostname, port`, args...)
	return out, err
}
