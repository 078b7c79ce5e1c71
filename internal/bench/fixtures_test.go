package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite fixtures/*.json from the generators")

// TestFixtures checks that fixtures/*.json are what the generators in
// scenarios.go make; -update rewrites them.
func TestFixtures(t *testing.T) {
	for _, f := range []Fixture{SeedExample(), LargeDockerHost()} {
		want, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join("fixtures", f.Name+".json")
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := fixtureFiles.ReadFile("fixtures/" + f.Name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its generator: run go test ./internal/bench -run TestFixtures -update", path)
		}
		loaded, err := LoadFixture(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if loaded.Name != f.Name || len(loaded.Host.Containers.Containers) != len(f.Host.Containers.Containers) {
			t.Errorf("%s does not load back", path)
		}
	}
}
