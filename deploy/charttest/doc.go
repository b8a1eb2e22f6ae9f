// Package charttest renders the KVPortal Helm chart (deploy/helm/kvportal)
// with Helm's Go SDK, offline, and holds its rules: the tests are the
// package; this file only names it.
package charttest
