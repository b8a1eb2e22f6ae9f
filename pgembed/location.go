package pgembed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// clusterBases are where a cluster goes when the server account cannot enter
// the data directory (a clone under /root, the common case on a fresh
// machine run as root): the first one that root owns and the account can
// enter.
var clusterBases = []string{"/var/lib/kvportal", filepath.Join(os.TempDir(), "kvportal")}

// locationFile, in the data directory, names the cluster kept elsewhere for
// it. A cluster at the data directory's place without this file belongs to a
// data directory that was deleted (its password went with it): it is
// removed and made anew.
const locationFile = "pgdata.location"

// cluster says where the cluster of dir lives: dir/pgdata when the account
// can enter dir, otherwise a directory of its own under one of clusterBases,
// keyed by dir's path so that two data directories never share one.
type cluster struct {
	pgdata    string
	elsewhere bool
	// unreachable is why dir/pgdata can't be used, when elsewhere.
	unreachable error
}

func locateCluster(dir string, acct *account) (cluster, error) {
	inDir := filepath.Join(dir, "pgdata")
	reach := checkTraversable(dir, acct)
	if reach == nil {
		return cluster{pgdata: inDir}, nil
	}
	if _, err := os.Stat(filepath.Join(inDir, "PG_VERSION")); err == nil {
		// A cluster made when the directory was reachable: moving it
		// silently would be a surprise, so say what to do.
		return cluster{}, fmt.Errorf("%w, and the cluster is in it: make it searchable (chmod o+x) or choose another PORTAL_DATA_DIR", reach)
	}
	sum := sha256.Sum256([]byte(dir))
	key := hex.EncodeToString(sum[:8])
	var tried []string
	for _, base := range clusterBases {
		if err := ensureBase(base, acct); err != nil {
			tried = append(tried, err.Error())
			continue
		}
		return cluster{pgdata: filepath.Join(base, key), elsewhere: true, unreachable: reach}, nil
	}
	return cluster{}, fmt.Errorf("%w, and there is no place for the cluster elsewhere (%s): make it searchable (chmod o+x) or choose another PORTAL_DATA_DIR", reach, strings.Join(tried, "; "))
}

// ensureBase makes base a directory owned by root that only root can write
// and the account can enter. An existing base owned by anyone else, or
// writable by others, is refused: whoever controls it controls the cluster.
func ensureBase(base string, acct *account) error {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return err
	}
	fi, err := os.Lstat(base)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || st.Uid != uint32(os.Geteuid()) || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is not a directory that only root can write", base)
	}
	return checkTraversable(base, acct)
}

// prepareElsewhere readies a cluster kept outside dir: one that was made for
// dir is kept; anything else at its place is a leftover of a deleted data
// directory and is removed. It records the place in dir.
func prepareElsewhere(dir string, c cluster, logf func(string, ...any)) error {
	marker := filepath.Join(dir, locationFile)
	recorded, err := os.ReadFile(marker)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if strings.TrimSpace(string(recorded)) == c.pgdata {
		return nil
	}
	if _, err := os.Lstat(c.pgdata); err == nil {
		logf("removing %s: a cluster left by an earlier data directory at %s", c.pgdata, dir)
		if err := stopOrphan(c.pgdata, logf); err != nil {
			return err
		}
		if err := os.RemoveAll(c.pgdata); err != nil {
			return err
		}
	}
	return os.WriteFile(marker, []byte(c.pgdata+"\n"), 0o600)
}
