package simulator

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/kvportal/kvportal/internal/wait"
)

// action serves one API action once the call is authenticated. It either
// writes an answer or returns the error to answer with.
type action func(s *Simulator, w http.ResponseWriter, c *call) *apiError

// actions are the API actions the simulator implements.
var actions = map[string]action{
	"CreateInstance":            (*Simulator).createInstance,
	"DescribeRegions":           (*Simulator).describeRegions,
	"DescribeAvailableResource": (*Simulator).describeAvailableResource,
	"DescribeInstanceAttribute": (*Simulator).describeInstanceAttribute,
	"DescribePrice":             (*Simulator).describePrice,
	"DescribeInstances":         (*Simulator).describeInstances,
	"DeleteInstance":            (*Simulator).deleteInstance,
	"ModifyInstanceAttribute":   (*Simulator).modifyInstanceAttribute,
	"ModifyInstanceSpec":        (*Simulator).modifyInstanceSpec,
	"ModifySecurityIps":         (*Simulator).modifySecurityIps,
	"DescribeSecurityIps":       (*Simulator).describeSecurityIps,
	"RenewInstance":             (*Simulator).renewInstance,

	"ModifyInstanceAutoRenewalAttribute": (*Simulator).modifyInstanceAutoRenewalAttribute,
}

// call is one API call being served.
type call struct {
	r         *http.Request
	action    string
	params    map[string]string
	requestID string
}

// param returns a parameter's value ("" when absent).
func (c *call) param(name string) string { return c.params[name] }

// timestampWindow is how far a request's Timestamp may be from the time.
const timestampWindow = 15 * time.Minute

// ServeHTTP serves one API call: it authenticates it, applies the faults and
// runs the action.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{r: r, requestID: s.newRequestID()}
	code := "OK"
	defer func() {
		// Asked first: the arguments cost an allocation each even when the
		// log leaves out info, as the portal's does for every call.
		if s.logger.Enabled(r.Context(), slog.LevelInfo) {
			s.logger.Info("r-kvstore simulator call", "action", c.action, "code", code, "duration", time.Since(start), "request_id", c.requestID)
		}
	}()
	fail := func(e *apiError) {
		code = e.Code
		writeError(w, c.requestID, e)
	}

	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		fail(&apiError{http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "The HTTP method is not supported; use POST or GET."})
		return
	}
	params, body, err := readRequest(r)
	if err != nil {
		fail(&apiError{http.StatusBadRequest, "InvalidParameter", "The request body could not be read as a form."})
		return
	}
	c.params = params
	v3 := isV3(r)
	if v3 {
		// Version 3 names the call in a header, not in the parameters.
		c.action = r.Header.Get("x-acs-action")
	} else {
		c.action = params["Action"]
	}
	if c.action == "" {
		fail(errMissing("Action"))
		return
	}
	s.arrived(c)

	faults := s.faultsFor(c.action)
	if !s.sleep(r, faults.Latency) {
		code = "ClientGone"
		return // nobody is listening any more
	}
	var refused *apiError
	if v3 {
		refused = s.authenticateV3(r, body)
	} else {
		refused = s.authenticate(r.Method, params)
	}
	if refused != nil {
		fail(refused)
		return
	}
	serve, ok := actions[c.action]
	if !ok {
		fail(errActionNotFound)
		return
	}
	switch {
	case s.roll(faults.ThrottleRate):
		fail(errThrottled)
		return
	case s.roll(faults.ErrorRate):
		if s.roll(0.5) {
			fail(errUnavailable)
		} else {
			fail(errInternal)
		}
		return
	}
	if e := serve(s, w, c); e != nil {
		fail(e)
	}
}

// arrived counts the call and tells the hook.
func (s *Simulator) arrived(c *call) {
	s.mu.Lock()
	s.calls[c.action]++
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		form := url.Values{}
		for k, v := range c.params {
			form.Set(k, v)
		}
		hook(c.action, form)
	}
}

// sleep waits d, or until the caller goes away; it reports whether the caller
// is still there.
func (s *Simulator) sleep(r *http.Request, d time.Duration) bool {
	return d <= 0 || wait.Sleep(r.Context(), d) == nil
}

// authenticate checks the common parameters and the version 1 signature, in
// the order and with the codes of the real API.
func (s *Simulator) authenticate(method string, params map[string]string) *apiError {
	for _, name := range []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Version"} {
		if params[name] == "" {
			return &apiError{http.StatusBadRequest, "Missing" + name, name + " is mandatory for this action."}
		}
	}
	if params["SignatureMethod"] != signatureMethod {
		return &apiError{http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not valid; use HMAC-SHA1."}
	}
	if params["SignatureVersion"] != signatureVersion {
		return &apiError{http.StatusBadRequest, "InvalidSignatureVersion", "Specified signature version is not valid; use 1.0."}
	}
	if params["Version"] != apiVersion {
		return &apiError{http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid."}
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", params["Timestamp"])
	if err != nil {
		return &apiError{http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."}
	}
	if d := time.Since(ts); d > timestampWindow || d < -timestampWindow {
		return &apiError{http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."}
	}
	if subtle.ConstantTimeCompare([]byte(params["AccessKeyId"]), []byte(s.accessKeyID)) != 1 {
		return errKeyNotFound
	}
	toSign := stringToSign(method, params)
	if !hmacEqual(sign(toSign, s.accessKeySecret), params["Signature"]) {
		return errSignatureMismatch(toSign)
	}
	if !s.nonces.add(params["SignatureNonce"], ts) {
		return errNonceUsed
	}
	return nil
}

// hmacEqual compares two signatures in constant time.
func hmacEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
