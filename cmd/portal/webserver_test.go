package main

import (
	"reflect"
	"testing"

	"github.com/kvportal/kvportal/config"
)

// Every single sign-on setting config reads reaches auth: a field added to
// config.OIDC and forgotten in oidcConfig would be silently ignored.
func TestOIDCConfigCopiesEverySetting(t *testing.T) {
	t.Parallel()
	var in config.OIDC
	v := reflect.ValueOf(&in).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.String:
			f.SetString(name + "-value")
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{name + "-value"}))
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string][]string{name: {"value"}}))
		default:
			t.Fatalf("config.OIDC.%s is a %s: teach this test to fill it", name, f.Kind())
		}
	}
	out := reflect.ValueOf(oidcConfig(in))
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		got := out.FieldByName(name)
		if !got.IsValid() {
			t.Errorf("auth.OIDCConfig has no field %s", name)
			continue
		}
		if !reflect.DeepEqual(got.Interface(), v.Field(i).Interface()) {
			t.Errorf("%s: auth gets %v, config read %v", name, got.Interface(), v.Field(i).Interface())
		}
	}
}
