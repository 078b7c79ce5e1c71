// Package dockerimage holds the checks of the container image that the
// repository's Dockerfile builds: its base images are pinned as its comment
// says (this file), and it builds and starts (build_test.go). It has tests
// only; the build itself is the Dockerfile's.
package dockerimage

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository root as seen from this package's folder,
// where go test runs its tests.
const repoRoot = "../.."

// dockerfile is what the checks need of a Dockerfile: the global ARGs'
// defaults and each stage's FROM. The build check leaves the real parsing
// to BuildKit; this only finds the base images to stand in for.
type dockerfile struct {
	args   map[string]string // ARGs before the first FROM, with their defaults
	stages []stage
}

type stage struct {
	line int    // of its FROM, 1-based
	base string // as written, before ARG expansion
	name string // after AS, "" when unnamed
}

// parseDockerfile reads instructions (continuation lines joined, comments
// dropped) and keeps the global ARGs and the FROM lines.
func parseDockerfile(text string) (*dockerfile, error) {
	df := &dockerfile{args: map[string]string{}}
	var (
		logical  strings.Builder
		startsAt int
	)
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue // also inside a continuation, as Docker does
		}
		if logical.Len() == 0 {
			startsAt = n
		}
		if strings.HasSuffix(line, `\`) {
			logical.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		logical.WriteString(line)
		if err := df.instruction(startsAt, logical.String()); err != nil {
			return nil, err
		}
		logical.Reset()
	}
	if logical.Len() > 0 {
		return nil, fmt.Errorf("line %d: the file ends inside a continued line", startsAt)
	}
	if len(df.stages) == 0 {
		return nil, fmt.Errorf("no FROM instruction")
	}
	return df, nil
}

func (df *dockerfile) instruction(line int, text string) error {
	fields := strings.Fields(text)
	switch strings.ToUpper(fields[0]) {
	case "ARG":
		if len(df.stages) > 0 {
			return nil // a stage's own ARG: not usable in FROM
		}
		for _, f := range fields[1:] {
			name, value, _ := strings.Cut(f, "=")
			df.args[name] = strings.Trim(value, `"'`)
		}
	case "FROM":
		var rest []string
		for _, f := range fields[1:] {
			if !strings.HasPrefix(f, "--") {
				rest = append(rest, f)
			}
		}
		s := stage{line: line}
		switch {
		case len(rest) == 1:
			s.base = rest[0]
		case len(rest) == 3 && strings.EqualFold(rest[1], "AS"):
			s.base, s.name = rest[0], rest[2]
		default:
			return fmt.Errorf("line %d: FROM wants IMAGE [AS NAME], got %q", line, text)
		}
		df.stages = append(df.stages, s)
	}
	return nil
}

var argRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// baseImages returns the images the stages start from, with the global
// ARGs' defaults put in, in order and once each; "scratch" and earlier
// stages are not images.
func (df *dockerfile) baseImages() ([]string, error) {
	stages := map[string]bool{}
	seen := map[string]bool{}
	var refs []string
	for _, s := range df.stages {
		var missing []string
		ref := argRef.ReplaceAllStringFunc(s.base, func(m string) string {
			name := strings.Trim(m, "${}")
			v, ok := df.args[name]
			if !ok || v == "" {
				missing = append(missing, name)
			}
			return v
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("line %d: FROM %s: no default for ARG %s before the first FROM", s.line, s.base, strings.Join(missing, ", "))
		}
		if ref != "scratch" && !stages[strings.ToLower(ref)] && !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
		// Named after its own FROM: a stage cannot start from itself.
		if s.name != "" {
			stages[strings.ToLower(s.name)] = true
		}
	}
	return refs, nil
}

// splitRef splits an image reference into repository, tag and digest.
func splitRef(ref string) (repo, tag, digest string) {
	repo, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo, tag = repo[:i], repo[i+1:]
	}
	return repo, tag, digest
}

// isGoImage tells the official Go image, however its name is written.
func isGoImage(repo string) bool {
	switch repo {
	case "golang", "library/golang", "docker.io/library/golang", "docker.io/golang", "index.docker.io/library/golang":
		return true
	}
	return false
}

// goDirective returns the version of go.mod's go directive.
func goDirective(gomod string) (string, error) {
	sc := bufio.NewScanner(strings.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "go" {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("go.mod has no go directive")
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBaseImagesPinnedByTag: every base image is named by an explicit tag
// and no digest (a digest in the file makes every build depend on it being
// right; digests go in build args, as the Dockerfile's comment says), and
// the Go image's tag is the Go of go.mod's go directive.
func TestBaseImagesPinnedByTag(t *testing.T) {
	df, err := parseDockerfile(readRepoFile(t, "Dockerfile"))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	refs, err := df.baseImages()
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	goVersion, err := goDirective(readRepoFile(t, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goImages := 0
	for _, ref := range refs {
		repo, tag, digest := splitRef(ref)
		if digest != "" {
			t.Errorf("base image %s is pinned by digest in the Dockerfile: name it by tag there and pass the digest as a build arg, as the comment above its ARG lines shows", ref)
		}
		if tag == "" || tag == "latest" {
			t.Errorf("base image %s has no explicit tag: name the version (e.g. golang:%s-bookworm)", ref, goVersion)
		}
		if isGoImage(repo) {
			goImages++
			if tag != goVersion && !strings.HasPrefix(tag, goVersion+"-") {
				t.Errorf("base image %s: its tag is not the Go of go.mod (go %s): use golang:%s-bookworm", ref, goVersion, goVersion)
			}
		}
	}
	if goImages != 1 {
		t.Errorf("want one golang base image, the build stage's; the Dockerfile's are %q", refs)
	}
}

func TestParseDockerfile(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
		err  string
	}{
		{
			name: "args, platform, stage reuse",
			text: "# c\nARG A=golang:1 \\\n  B=\"x/y:2\"\nFROM --platform=$BUILDPLATFORM ${A} AS build\nARG A=ignored\nRUN true\nFROM $B\nCOPY --from=build / /\nFROM build AS again\nFROM scratch\n",
			want: []string{"golang:1", "x/y:2"},
		},
		{
			name: "comment inside a continuation",
			text: "FROM \\\n# note\n  alpine:3 AS base\n",
			want: []string{"alpine:3"},
		},
		{name: "arg without default", text: "ARG IMG\nFROM ${IMG}\n", err: "no default for ARG IMG"},
		{name: "no from", text: "ARG A=1\n", err: "no FROM"},
		{name: "bad from", text: "FROM a b\n", err: "FROM wants IMAGE [AS NAME]"},
		{name: "open continuation", text: "FROM a \\\n", err: "continued line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			df, err := parseDockerfile(tc.text)
			var got []string
			if err == nil {
				got, err = df.baseImages()
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("base images = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitRef(t *testing.T) {
	tests := []struct{ ref, repo, tag, digest string }{
		{"golang:1.26.8-bookworm", "golang", "1.26.8-bookworm", ""},
		{"gcr.io/distroless/static-debian12:nonroot", "gcr.io/distroless/static-debian12", "nonroot", ""},
		{"golang:1.26@sha256:ab", "golang", "1.26", "sha256:ab"},
		{"localhost:5000/x", "localhost:5000/x", "", ""},
		{"localhost:5000/x:1", "localhost:5000/x", "1", ""},
	}
	for _, tc := range tests {
		repo, tag, digest := splitRef(tc.ref)
		if repo != tc.repo || tag != tc.tag || digest != tc.digest {
			t.Errorf("splitRef(%q) = %q %q %q, want %q %q %q", tc.ref, repo, tag, digest, tc.repo, tc.tag, tc.digest)
		}
	}
}
