package auth

import "testing"

func TestHashAndCheck(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "correct horse battery") {
		t.Fatal("the right password must match")
	}
	if CheckPassword(h, "correct horse batterY") {
		t.Fatal("a wrong password must not match")
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("each hash must have its own salt")
	}
}

func TestMalformedHashesNeverMatch(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"", "$argon2id$", "plain", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=4294967295,t=1,p=1$AAAA$AAAA", "$bcrypt$v=19$m=1,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA"} {
		if CheckPassword(h, "") {
			t.Errorf("%q matched", h)
		}
	}
}

func TestNewPasswordRules(t *testing.T) {
	t.Parallel()
	if CheckNewPassword("short") == nil {
		t.Fatal("short password accepted")
	}
	if err := CheckNewPassword(GeneratePassword()); err != nil {
		t.Fatalf("generated password refused: %v", err)
	}
}
