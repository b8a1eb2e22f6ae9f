// Package rkvstore is KVPortal's adapter to the ApsaraDB for Redis
// (R-KVStore) API: the client that calls it through the official Alibaba
// Cloud SDK and maps the parameter table (domain.Table) onto the SDK's
// requests, the classes of its errors (retry or not), and the caches of the
// cloud's catalog and prices.
//
// It has its own home so that nothing else imports the SDK: the rules of
// the API live in package domain, and this package only speaks to the cloud.
package rkvstore
