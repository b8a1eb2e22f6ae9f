// Package domain is what KVPortal is about, in one place: a request for an
// ApsaraDB for Redis instance and its CreateInstance parameters (the
// parameter table, Table), the rules the API reference states for them
// (Validate), the states a request moves through and the only transitions
// between them, the roles of the people who use the portal, and the names
// of the actions the audit trail records.
//
// It has a home of its own so that every other package speaks the same
// words: the store keeps requests, the web pages and the JSON API show and
// take them, the provisioner sends them through the cloud adapter
// (rkvstore), and none of them describes a parameter or a rule again. It
// imports nothing of the portal's and nothing of the cloud's SDK.
package domain
