package pgembed

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNoBinaries says that no Postgres server binaries were found.
var ErrNoBinaries = errors.New("no Postgres server binaries found (looked on PATH, in `pg_config --bindir` and /usr/lib/postgresql/*/bin): " +
	"install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@15) " +
	"or set DATABASE_URL to use an existing Postgres")

// FindBinDir finds the directory holding initdb and postgres.
func FindBinDir() (string, error) {
	return findBinDir(exec.LookPath, pgConfigBinDir, filepath.Glob)
}

func findBinDir(lookPath func(string) (string, error), pgConfig func() string, glob func(string) ([]string, error)) (string, error) {
	var candidates []string
	if p, err := lookPath("postgres"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	if d := pgConfig(); d != "" {
		candidates = append(candidates, d)
	}
	if dirs, err := glob("/usr/lib/postgresql/*/bin"); err == nil {
		sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
		candidates = append(candidates, dirs...)
	}
	for _, d := range candidates {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func pgConfigBinDir() string {
	out, err := exec.Command("pg_config", "--bindir").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// majorOf reads the version out of /usr/lib/postgresql/<major>/bin.
func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
