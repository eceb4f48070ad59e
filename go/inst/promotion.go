package inst

import "fmt"

// PromotionRule ranks how much an instance should become a master.
type PromotionRule string

const (
	MustPromoteRule      PromotionRule = "must"
	PreferPromoteRule    PromotionRule = "prefer"
	NeutralPromoteRule   PromotionRule = "neutral"
	PreferNotPromoteRule PromotionRule = "prefer_not"
	MustNotPromoteRule   PromotionRule = "must_not"
)

var promotionRank = map[PromotionRule]int{
	MustPromoteRule: 0, PreferPromoteRule: 1, NeutralPromoteRule: 2, PreferNotPromoteRule: 3, MustNotPromoteRule: 4,
}

// ParsePromotionRule validates a rule name.
func ParsePromotionRule(s string) (PromotionRule, error) {
	r := PromotionRule(s)
	if _, ok := promotionRank[r]; !ok {
		return "", fmt.Errorf("%w: invalid promotion rule %q (must, prefer, neutral, prefer_not, must_not)", ErrBadRequest, s)
	}
	return r, nil
}

// BetterThan reports whether r ranks above o.
func (r PromotionRule) BetterThan(o PromotionRule) bool { return r.rank() < o.rank() }

func (r PromotionRule) rank() int {
	if n, ok := promotionRank[r]; ok {
		return n
	}
	return promotionRank[NeutralPromoteRule]
}
