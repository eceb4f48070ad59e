package http

import (
	"errors"
	"html"
	"io/fs"
	"net/http"
	"strings"

	"github.com/go-martini/martini"

	"orchestrator/go/inst"
	"orchestrator/resources"
)

// uiWebRoutes serves the web UI: the page shell for every /web/... path
// (the JavaScript reads the path and draws the page from the JSON API),
// the embedded css/ and js/ assets and redirects from / and /web. The
// UI's own API routes (uiRoutes) are in the route table like every other.
func (s *Server) uiWebRoutes(router martini.Router, prefix string) {
	assets := http.StripPrefix(prefix, http.FileServer(http.FS(resources.Public())))
	for _, dir := range []string{"/css/**", "/js/**"} {
		router.Get(prefix+dir, func(w http.ResponseWriter, req *http.Request) {
			if s.webAuthorized(w, req) {
				w.Header().Set("Cache-Control", "no-cache")
				assets.ServeHTTP(w, req)
			}
		})
	}
	home := func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, prefix+"/web/clusters", http.StatusFound)
	}
	router.Get(prefix+"/", home)
	if prefix != "" {
		router.Get(prefix, home)
	}
	router.Get(prefix+"/web", home)
	router.Get(prefix+"/web/**", s.webPage)
}

// webAuthorized applies read authorisation to a page or asset; with basic
// authentication the browser is asked for credentials.
func (s *Server) webAuthorized(w http.ResponseWriter, req *http.Request) bool {
	_, err := s.authorize(req, false)
	if err == nil {
		return true
	}
	status := statusOf(err)
	if errors.Is(err, inst.ErrUnauthorized) {
		w.Header().Set("WWW-Authenticate", `Basic realm="orchestrator"`)
	}
	http.Error(w, err.Error(), status)
	return false
}

// webPage serves index.html with the URL prefix filled in.
func (s *Server) webPage(w http.ResponseWriter, req *http.Request) {
	if !s.webAuthorized(w, req) {
		return
	}
	page, err := fs.ReadFile(resources.Public(), "index.html")
	if err != nil {
		http.Error(w, "web UI assets missing: "+err.Error(), http.StatusInternalServerError)
		return
	}
	body := strings.ReplaceAll(string(page), "{{URLPrefix}}", html.EscapeString(s.conf().URLPrefix))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(body))
}
