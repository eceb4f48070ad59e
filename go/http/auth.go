package http

import (
	"errors"
	"fmt"
	"net/http"
	"os/user"
	"slices"

	"orchestrator/go/inst"
)

// errForbidden: an authenticated user who may not change anything.
var errForbidden = errors.New("forbidden")

// basicAuth reports an AuthenticationMethod that asks for a user and
// password (a 401 then says so, for curl -u and browsers).
func (s *Server) basicAuth() bool {
	return s.conf().AuthenticationMethod == "basic" || s.conf().AuthenticationMethod == "multi"
}

// authorize applies AuthenticationMethod, then, for mutating routes,
// read-only mode and the power-user rules. It returns the user's name.
func (s *Server) authorize(req *http.Request, mutates bool) (string, error) {
	user, power, err := s.authenticate(req)
	if err != nil || !mutates {
		return user, err
	}
	if s.conf().ReadOnly {
		return user, fmt.Errorf("orchestrator is in read-only mode: %w", inst.ErrReadOnly)
	}
	if !power {
		return user, fmt.Errorf("user %q may not change anything: %w", user, errForbidden)
	}
	return user, nil
}

// authenticate identifies the user and says whether they may mutate.
func (s *Server) authenticate(req *http.Request) (user string, power bool, err error) {
	switch s.conf().AuthenticationMethod {
	case "basic", "multi":
		user, pass, ok := req.BasicAuth()
		if !ok {
			return "", false, fmt.Errorf("authentication required: %w", inst.ErrUnauthorized)
		}
		if s.conf().AuthenticationMethod == "multi" && user == "readonly" {
			return user, false, nil
		}
		if !constantTimeEqual(user, s.conf().HTTPAuthUser) || !constantTimeEqual(pass, s.conf().HTTPAuthPassword) {
			return "", false, fmt.Errorf("invalid credentials: %w", inst.ErrUnauthorized)
		}
		return user, true, nil
	case "proxy":
		user := req.Header.Get(s.proxyHeader())
		return user, s.isPowerUser(user), nil
	}
	return "", true, nil
}

func (s *Server) proxyHeader() string {
	if s.conf().AuthUserHeader == "" {
		return "X-Forwarded-User"
	}
	return s.conf().AuthUserHeader
}

// isPowerUser applies PowerAuthUsers ("*" = anyone) and PowerAuthGroups
// (unix groups of the named user on this host).
func (s *Server) isPowerUser(name string) bool {
	if slices.Contains(s.conf().PowerAuthUsers, "*") || (name != "" && slices.Contains(s.conf().PowerAuthUsers, name)) {
		return true
	}
	if name == "" || len(s.conf().PowerAuthGroups) == 0 {
		return false
	}
	u, err := user.Lookup(name)
	if err != nil {
		return false
	}
	gids, err := u.GroupIds()
	if err != nil {
		return false
	}
	for _, gid := range gids {
		if g, err := user.LookupGroupId(gid); err == nil && slices.Contains(s.conf().PowerAuthGroups, g.Name) {
			return true
		}
	}
	return false
}

func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// CanMutate reports whether a request may use mutating routes (web UI).
func (s *Server) CanMutate(req *http.Request) bool {
	_, err := s.authorize(req, true)
	return err == nil
}
