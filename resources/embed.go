// Package resources holds the web UI assets, embedded in the binary so a
// service node serves its UI with no files beside it and no internet.
package resources

import (
	"embed"
	"io/fs"
)

//go:embed public
var public embed.FS

// Public returns the web UI assets: index.html, css/, js/.
func Public() fs.FS {
	sub, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // "public" is embedded above; this cannot fail
	}
	return sub
}
