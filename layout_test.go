package chemguard_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's package table is the map a newcomer reads first; a package added,
// moved or removed without it would make the map lie. Every folder holding
// non-test Go files must have a row, and every row must name such a folder.
func TestREADMEPackageTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "## Layout")
	require.GreaterOrEqual(t, start, 0, "README.md has a Layout section")
	section := text[start:]
	if end := strings.Index(section[len("## Layout"):], "\n## "); end >= 0 {
		section = section[:len("## Layout")+end]
	}
	cell := regexp.MustCompile("`([a-z0-9/]+)`")
	var listed []string
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, m := range cell.FindAllStringSubmatch(cells[1], -1) {
			listed = append(listed, m[1])
		}
	}

	var tree []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" ||
			d.Name() == "testdata" || d.Name() == "deploy" || d.Name() == "docs") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if dir == "." {
			dir = "chemguard"
		}
		if !slices.Contains(tree, dir) {
			tree = append(tree, dir)
		}
		return nil
	})
	require.NoError(t, err)
	slices.Sort(listed)
	slices.Sort(tree)
	assert.Equal(t, tree, slices.Compact(listed), "README.md's Layout table and the folders holding Go code")
}

// The import rules of docs/architecture.md, checked on the real import graph
// (`go list`, tests included): only bus speaks Kafka; the UIs never import each
// other; the pure packages reach no database, network, file system or web code.
func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	const module = "github.com/shandong-emergency/chemguard"
	out, err := exec.Command("go", "list", "-test", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	require.NoError(t, err)
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, _, _ := strings.Cut(fields[0], " ")
		pkg = strings.TrimSuffix(strings.TrimPrefix(pkg, module), "_test")
		pkg = strings.TrimPrefix(pkg, "/")
		imports[pkg] = append(imports[pkg], fields[1:]...)
	}
	uis := []string{"portal", "inspect"}
	pure := []string{"schemas", "validate", "events", "warning", "governance", "engineconfig", "statebin", "tiers"}
	forbiddenInPure := []string{"net", "net/http", "os/exec", "database/sql", "github.com/jackc/pgx/v5",
		"github.com/jackc/pgx/v5/pgxpool", "github.com/gofiber/fiber/v2", "github.com/segmentio/kafka-go",
		module + "/bus", module + "/store", module + "/web"}
	for pkg, imps := range imports {
		for _, imp := range imps {
			if imp == "github.com/segmentio/kafka-go" {
				assert.Equal(t, "bus", pkg, "only bus imports kafka-go")
			}
			for _, ui := range uis {
				for _, other := range uis {
					if ui != other && (pkg == ui || strings.HasPrefix(pkg, ui+"/")) && strings.HasPrefix(imp, module+"/"+other) {
						assert.Failf(t, "a UI imports another UI", "%s imports %s", pkg, imp)
					}
				}
			}
			if slices.Contains(pure, pkg) && slices.Contains(forbiddenInPure, imp) {
				assert.Failf(t, "a pure package does I/O", "%s imports %s", pkg, imp)
			}
		}
	}
}
