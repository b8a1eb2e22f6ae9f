// Package rkvstore is everything KVPortal knows about the ApsaraDB for Redis
// (R-KVStore) API: the CreateInstance parameters and the rules the API
// reference states for them, the catalog of regions, zones and instance
// classes, and the client that calls the API through the official Alibaba
// Cloud SDK and classifies its errors.
//
// It has its own home so that handlers and the provisioner never encode an API
// rule themselves: they ask this package.
package rkvstore
