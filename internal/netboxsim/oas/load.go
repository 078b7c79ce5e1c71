// Package oas checks HTTP traffic against NetBox 4.3's OpenAPI document,
// the one go-netbox v4.3.0 was generated from and ships. The validation is
// kin-openapi's; this package only finds and loads the document, patches
// the few places where it contradicts what NetBox really does (quirks.go),
// and wraps an http.Handler so every request and response is checked.
package oas

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// goNetbox is the module whose api/openapi.yaml is NetBox's document.
const goNetbox = "github.com/netbox-community/go-netbox/v4"

// PathEnv overrides where the document is read from.
const PathEnv = "CMDB_NETBOX_OPENAPI"

// Spec is the loaded, patched document and its router.
type Spec struct {
	Doc      *openapi3.T
	Path     string        // file the document was read from
	LoadTime time.Duration // finding, parsing, patching and routing it
	router   routers.Router
	// bulkCreate holds, per list path, a POST operation that takes and
	// returns arrays: NetBox's bulk create, which the document leaves out.
	bulkCreate map[string]*routers.Route
	// brief holds, per path, the GET operation of brief mode.
	brief map[string]*routers.Route
	// fields holds, per path, the GET operation of a ?fields= read.
	fields map[string]*routers.Route
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load reads the document once per process; later calls return the same
// Spec. It takes about a second: the document is 4 MB of YAML.
func Load() (*Spec, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

func load() (*Spec, error) {
	start := time.Now()
	path, err := documentPath()
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading NetBox's OpenAPI document %s: %w", path, err)
	}
	bulk, brief, err := patch(doc)
	if err != nil {
		return nil, fmt.Errorf("patching NetBox's OpenAPI document: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing NetBox's OpenAPI document: %w", err)
	}
	s := &Spec{Doc: doc, Path: path, router: router, bulkCreate: map[string]*routers.Route{},
		brief: map[string]*routers.Route{}, fields: map[string]*routers.Route{}}
	for p, op := range bulk {
		s.bulkCreate[p] = &routers.Route{Spec: doc, Path: p, PathItem: doc.Paths.Value(p), Method: "POST", Operation: op}
	}
	for p, op := range brief {
		s.brief[p] = &routers.Route{Spec: doc, Path: p, PathItem: doc.Paths.Value(p), Method: "GET", Operation: op}
	}
	for p, item := range doc.Paths.Map() {
		if op := fieldsGet(item.Get); op != nil {
			s.fields[p] = &routers.Route{Spec: doc, Path: p, PathItem: item, Method: "GET", Operation: op}
		}
	}
	s.LoadTime = time.Since(start)
	return s, nil
}

// documentPath finds api/openapi.yaml of the go-netbox module this binary
// was built with: $CMDB_NETBOX_OPENAPI, else `go list -m` run from the
// module root (it honours replace directives and the workspace), else the
// module cache path from the binary's build information.
func documentPath() (string, error) {
	if p := os.Getenv(PathEnv); p != "" {
		return p, nil
	}
	var tried []string
	if dir, err := goListDir(); err == nil {
		p := filepath.Join(dir, "api", "openapi.yaml")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	} else {
		tried = append(tried, "go list: "+err.Error())
	}
	if p, err := buildInfoPath(); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	} else {
		tried = append(tried, "build info: "+err.Error())
	}
	return "", fmt.Errorf("NetBox's OpenAPI document not found (set %s): tried %s", PathEnv, strings.Join(tried, "; "))
}

func goListDir() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", goNetbox)
	if root, ok := moduleRoot(); ok {
		cmd.Dir = root
	}
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", err
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("module %s is not downloaded", goNetbox)
	}
	return dir, nil
}

// moduleRoot is the nearest directory above the working directory that
// holds a go.mod (tests run in their package's directory).
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func buildInfoPath() (string, error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", fmt.Errorf("binary has no build information")
	}
	for _, d := range info.Deps {
		if d.Path != goNetbox {
			continue
		}
		if d.Replace != nil {
			d = d.Replace
			if d.Version == "" { // a directory replacement
				return filepath.Join(d.Path, "api", "openapi.yaml"), nil
			}
		}
		return filepath.Join(modCache(), escapePath(d.Path)+"@"+d.Version, "api", "openapi.yaml"), nil
	}
	return "", fmt.Errorf("binary does not depend on %s", goNetbox)
}

func modCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
}

// escapePath is the module cache's case encoding: "A" becomes "!a".
func escapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
