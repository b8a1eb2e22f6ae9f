package workflow

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/kvportal/kvportal/domain"
	"github.com/kvportal/kvportal/store"
)

// IdempotencyKeyField is the field under which SubmitOnce reports a
// problem with the key (the name of the API's header).
const IdempotencyKeyField = "Idempotency-Key"

// IdempotencyKeyMaxLen bounds an idempotency key.
const IdempotencyKeyMaxLen = 255

const saltLen = 16

// SubmitOnce is Submit for a client that may send the same submission again
// (a retry after a lost answer): the first submission of a with key is
// stored, and every later one with the same key and the same input gets
// that first request back with created false, even when they arrive at the
// same instant (the database's unique index decides). The same key with
// another input is refused as a field error of IdempotencyKeyField. An
// empty key is a plain Submit.
func (w *Workflow) SubmitOnce(ctx context.Context, a Actor, in domain.Input, key string) (r domain.Request, created bool, errs domain.FieldErrors, err error) {
	if key == "" {
		r, errs, err = w.Submit(ctx, a, in)
		return r, err == nil && errs == nil, errs, err
	}
	if problem := keyProblem(key); problem != "" {
		return domain.Request{}, false, domain.FieldErrors{IdempotencyKeyField: problem}, nil
	}
	if r, errs, err := w.replay(ctx, a, in, key); !errors.Is(err, store.ErrNotFound) {
		return r, false, errs, err
	}
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // never fails: see crypto/rand.Read
	r, errs, err = w.submit(ctx, a, in, store.NewRequest{IdempotencyKey: key, IdempotencyHash: inputHash(salt, in)})
	if errors.Is(err, store.ErrIdempotencyKeyUsed) {
		// Another submission with the key won the race: answer with it.
		r, errs, err = w.replay(ctx, a, in, key)
		return r, false, errs, err
	}
	return r, err == nil && errs == nil, errs, err
}

// replay answers a submission whose key a has used already: the first
// request, or a field error when in is not what was sent then.
// store.ErrNotFound when the key is new.
func (w *Workflow) replay(ctx context.Context, a Actor, in domain.Input, key string) (domain.Request, domain.FieldErrors, error) {
	r, stored, err := w.Store.RequestByIdempotencyKey(ctx, a.ID, key)
	if err != nil {
		return domain.Request{}, nil, err
	}
	if len(stored) < saltLen || !bytes.Equal(stored, inputHash(stored[:saltLen], in)) {
		return domain.Request{}, domain.FieldErrors{IdempotencyKeyField: "was used for request " +
			strconv.FormatInt(r.ID, 10) + " with another body: use a new key for a new request"}, nil
	}
	return r, nil, nil
}

// inputHash is the salt followed by the SHA-256 of the salt and in. The
// input holds the password: the salt keeps a stored hash from being
// compared with guesses made once for every row.
func inputHash(salt []byte, in domain.Input) []byte {
	b, _ := json.Marshal(in) // a map of strings always marshals, keys sorted
	h := sha256.New()
	h.Write(salt)
	h.Write(b)
	return h.Sum(append([]byte(nil), salt...))
}

// keyProblem says what is wrong with an idempotency key, "" if nothing.
func keyProblem(key string) string {
	if len(key) > IdempotencyKeyMaxLen {
		return "must be at most " + strconv.Itoa(IdempotencyKeyMaxLen) + " characters long"
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return "must contain only printable ASCII characters, without spaces"
		}
	}
	return ""
}
