// Package imports holds no code: its test checks, with go list, the import
// rules README.md's code map states, so that a change that breaks one
// fails the tests rather than quietly making the map wrong.
package imports
