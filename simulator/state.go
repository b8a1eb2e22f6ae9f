package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// stateFile is the JSON kept at Config.StatePath.
type stateFile struct {
	Version   int
	Instances []Instance
}

// state holds the instances, by ID and by token, and keeps them on disk when
// it has a path.
type state struct {
	path string

	mu        sync.Mutex
	instances []Instance     // oldest first
	byID      map[string]int // InstanceId -> index in instances
	byToken   map[string]int // Token -> index in instances
}

// loadState reads the state at path; a missing file (or no path) is an
// empty state.
func loadState(path string) (*state, error) {
	st := &state{path: path, byID: map[string]int{}, byToken: map[string]int{}}
	if path == "" {
		return st, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("simulator: read state: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("simulator: state file %s is not valid JSON: %w", path, err)
	}
	for _, in := range f.Instances {
		st.index(in)
	}
	return st, nil
}

// index appends in to the instances and its indexes. st.mu must be held (or
// st not yet shared).
func (st *state) index(in Instance) {
	st.byID[in.InstanceId] = len(st.instances)
	if in.Token != "" {
		st.byToken[in.Token] = len(st.instances)
	}
	st.instances = append(st.instances, in)
}

// errQuotaFull is createOnce's refusal when the instance quota is used up.
var errQuotaFull = errors.New("simulator: instance quota used up")

// createOnce returns the instance made with in.Token, or, when there is none
// (or no token), makes in and saves the state. made reports whether in was
// made. quota, when above 0, is how many live instances may exist: one more
// is refused with errQuotaFull. A failure to save undoes the creation.
func (st *state) createOnce(in Instance, quota int) (got Instance, made bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if in.Token != "" {
		if i, ok := st.byToken[in.Token]; ok {
			return st.instances[i], false, nil
		}
	}
	if _, taken := st.byID[in.InstanceId]; taken {
		return Instance{}, false, fmt.Errorf("simulator: instance ID %s already used", in.InstanceId)
	}
	if quota > 0 && st.liveLocked() >= quota {
		return Instance{}, false, errQuotaFull
	}
	st.index(in)
	if err := st.save(); err != nil {
		st.instances = st.instances[:len(st.instances)-1]
		delete(st.byID, in.InstanceId)
		delete(st.byToken, in.Token)
		return Instance{}, false, err
	}
	return in, true, nil
}

// byTokenOf returns the instance made with token, deleted or not.
func (st *state) byTokenOf(token string) (Instance, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	i, ok := st.byToken[token]
	if token == "" || !ok {
		return Instance{}, false
	}
	return st.instances[i], true
}

// live counts the instances not deleted.
func (st *state) live() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.liveLocked()
}

func (st *state) liveLocked() int {
	n := 0
	for _, in := range st.instances {
		if in.DeletedAt.IsZero() {
			n++
		}
	}
	return n
}

// change applies fn to the live instance with the ID and saves the state; an
// error from fn changes nothing. A deleted instance is not found, as in the
// API.
func (st *state) change(id string, fn func(*Instance) error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	i, ok := st.byID[id]
	if !ok || !st.instances[i].DeletedAt.IsZero() {
		return errInstanceNotFound
	}
	before := st.instances[i]
	changed := before
	if err := fn(&changed); err != nil {
		return err
	}
	st.instances[i] = changed
	if err := st.save(); err != nil {
		st.instances[i] = before
		return err
	}
	return nil
}

// changeAll applies fn to each live instance with one of the IDs and saves
// the state; an unknown ID or an error from fn changes none of them.
func (st *state) changeAll(ids []string, fn func(*Instance) error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	before := slices.Clone(st.instances)
	changed := slices.Clone(st.instances)
	for _, id := range ids {
		i, ok := st.byID[id]
		if !ok || !changed[i].DeletedAt.IsZero() {
			return errInstanceNotFound
		}
		if err := fn(&changed[i]); err != nil {
			return err
		}
	}
	st.instances = changed
	if err := st.save(); err != nil {
		st.instances = before
		return err
	}
	return nil
}

// hasID reports whether an instance has the ID.
func (st *state) hasID(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.byID[id]
	return ok
}

// get returns the live instance with the ID: a deleted one is not found.
func (st *state) get(id string) (Instance, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	i, ok := st.byID[id]
	if !ok || !st.instances[i].DeletedAt.IsZero() {
		return Instance{}, false
	}
	return st.instances[i], true
}

// all returns a copy of the instances, oldest first.
func (st *state) all() []Instance {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.instances)
}

// countByToken counts the instances made with token.
func (st *state) countByToken(token string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for _, in := range st.instances {
		if in.Token == token {
			n++
		}
	}
	return n
}

// save writes the state to its path atomically: a temporary file in the same
// directory, synced, then renamed over the old one. st.mu must be held.
func (st *state) save() error {
	if st.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(stateFile{Version: 1, Instances: st.instances}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(st.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(st.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("simulator: save state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("simulator: save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("simulator: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("simulator: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), st.path); err != nil {
		return fmt.Errorf("simulator: save state: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}
