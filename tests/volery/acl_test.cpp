// Volery's access control (apps/volery/acl.hpp): digest identities as ZooKeeper computes them,
// addauth digest, ACL validation and "auth" expansion as fixupACL does them, permission checks
// as checkACL does them, and the redaction getACL applies for sessions without ADMIN.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apps/volery/acl.hpp"

namespace eyrie::volery {
namespace {

using ::testing::ElementsAre;

const Id kAnyone{"world", "anyone"};

Id digest(std::string_view credentials) { return Id{"digest", digest_id(credentials)}; }

// --- digest identities ---

TEST(VoleryAcl, digestId_matchesZooKeepersGenerateDigest) {
  // The value ZooKeeper's documentation gives for -Dzookeeper.DigestAuthenticationProvider.superDigest.
  EXPECT_EQ(digest_id("super:admin"), "super:xQJmxLMiHGwaqBvst5y6rkB6HQs=");
  // echo -n alice:secret | openssl dgst -binary -sha1 | base64
  EXPECT_EQ(digest_id("alice:secret"), "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");
}

TEST(VoleryAcl, digestId_hashesTheWholeArgumentAndKeepsTheUserBeforeTheFirstColon) {
  // SHA-1("") and SHA-1("abc") are the FIPS 180 test vectors.
  EXPECT_EQ(digest_id(""), ":2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  EXPECT_EQ(digest_id("abc"), "abc:qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  EXPECT_EQ(digest_id("u:p:q"), "u:VIgTKUjc2iscZoJn2UUrdGNNgW4=");
  EXPECT_NE(digest_id("bob:pw1"), digest_id("bob:pw2"));
  EXPECT_EQ(digest_id(":pw").substr(0, 1), ":");
}

TEST(VoleryAcl, authDigest_needsAColon) {
  EXPECT_EQ(auth_digest("super:admin"), (Id{"digest", "super:xQJmxLMiHGwaqBvst5y6rkB6HQs="}));
  EXPECT_EQ(auth_digest("u:"), (Id{"digest", digest_id("u:")}));
  EXPECT_EQ(auth_digest("noColon"), std::nullopt);
  EXPECT_EQ(auth_digest(""), std::nullopt);
}

TEST(VoleryAcl, isValidDigestId_isJavasSplitIntoTwoParts) {
  EXPECT_TRUE(is_valid_digest_id("user:hash"));
  EXPECT_TRUE(is_valid_digest_id(digest_id("super:admin")));
  EXPECT_TRUE(is_valid_digest_id(":hash"));       // a leading empty part counts
  EXPECT_TRUE(is_valid_digest_id("user:hash:"));  // trailing empty parts are dropped
  EXPECT_TRUE(is_valid_digest_id("user:hash::"));
  EXPECT_FALSE(is_valid_digest_id("user"));
  EXPECT_FALSE(is_valid_digest_id(""));
  EXPECT_FALSE(is_valid_digest_id("user:"));
  EXPECT_FALSE(is_valid_digest_id(":"));
  EXPECT_FALSE(is_valid_digest_id("::"));
  EXPECT_FALSE(is_valid_digest_id("a:b:c"));
  EXPECT_FALSE(is_valid_digest_id("a::b"));
}

// --- fix_acl ---

TEST(VoleryAcl, fixAcl_keepsWorldAnyoneAndValidDigests) {
  const std::vector<Acl> acl{{perms::read, kAnyone}, {perms::all, Id{"digest", "bob:abc="}}};
  EXPECT_EQ(fix_acl(acl, {}), acl);
  EXPECT_EQ(fix_acl(open_acl(), {}), open_acl());
}

TEST(VoleryAcl, fixAcl_refusesAnEmptyAcl) { EXPECT_EQ(fix_acl({}, {digest("a:b")}), std::nullopt); }

TEST(VoleryAcl, fixAcl_refusesWorldWithAnotherId) {
  EXPECT_EQ(fix_acl({{perms::all, Id{"world", "someone"}}}, {}), std::nullopt);
  EXPECT_EQ(fix_acl({{perms::all, Id{"world", ""}}}, {}), std::nullopt);
  EXPECT_EQ(fix_acl({{perms::all, Id{"World", "anyone"}}}, {}), std::nullopt);
}

TEST(VoleryAcl, fixAcl_refusesMalformedDigestIds) {
  EXPECT_EQ(fix_acl({{perms::all, Id{"digest", "bob"}}}, {}), std::nullopt);
  EXPECT_EQ(fix_acl({{perms::all, Id{"digest", "a:b:c"}}}, {}), std::nullopt);
  EXPECT_EQ(fix_acl({{perms::all, Id{"digest", ""}}}, {}), std::nullopt);
}

TEST(VoleryAcl, fixAcl_refusesUnsupportedSchemes) {
  for (const char* scheme : {"ip", "x509", "sasl", "super", "kerberos", ""}) {
    EXPECT_EQ(fix_acl({{perms::all, Id{scheme, "127.0.0.1"}}}, {}), std::nullopt) << scheme;
  }
  // One bad entry spoils the whole ACL.
  EXPECT_EQ(fix_acl({{perms::all, kAnyone}, {perms::read, Id{"ip", "10.0.0.1"}}}, {}), std::nullopt);
}

TEST(VoleryAcl, fixAcl_expandsAuthIntoTheSessionsDigestIdentities) {
  const std::vector<Id> session{digest("alice:pw"), Id{"ip", "127.0.0.1"}, digest("bob:pw")};
  EXPECT_THAT(*fix_acl({{perms::read | perms::write, Id{"auth", ""}}}, session),
              ElementsAre(Acl{3, digest("alice:pw")}, Acl{3, digest("bob:pw")}));
  // The auth entry's own id is ignored.
  EXPECT_THAT(*fix_acl({{perms::all, Id{"auth", "whatever"}}}, {digest("a:b")}), ElementsAre(Acl{31, digest("a:b")}));
  // Expanded in place, among the other entries.
  EXPECT_THAT(*fix_acl({{perms::read, kAnyone}, {perms::admin, Id{"auth", ""}}}, {digest("a:b")}),
              ElementsAre(Acl{1, kAnyone}, Acl{16, digest("a:b")}));
}

TEST(VoleryAcl, fixAcl_refusesAuthWithoutIdentities) {
  EXPECT_EQ(fix_acl({{perms::all, Id{"auth", ""}}}, {}), std::nullopt);
  EXPECT_EQ(fix_acl({{perms::all, Id{"auth", ""}}}, {Id{"ip", "127.0.0.1"}}), std::nullopt);
  EXPECT_EQ(fix_acl({{perms::read, kAnyone}, {perms::all, Id{"auth", ""}}}, {}), std::nullopt);
}

TEST(VoleryAcl, fixAcl_dropsDuplicatesKeepingTheFirst) {
  const Acl bob{perms::read, Id{"digest", "bob:h"}};
  EXPECT_THAT(*fix_acl({bob, {perms::all, kAnyone}, bob, {perms::all, kAnyone}}, {}),
              ElementsAre(bob, Acl{perms::all, kAnyone}));
  // Same id, other perms: not a duplicate.
  EXPECT_THAT(*fix_acl({{1, kAnyone}, {2, kAnyone}}, {}), ElementsAre(Acl{1, kAnyone}, Acl{2, kAnyone}));
  // Duplicates are dropped before expansion only, as ZooKeeper does.
  EXPECT_THAT(*fix_acl({{perms::all, digest("a:b")}, {perms::all, Id{"auth", ""}}}, {digest("a:b")}),
              ElementsAre(Acl{31, digest("a:b")}, Acl{31, digest("a:b")}));
}

TEST(VoleryAcl, fixAcl_permsMustBeWithin0To31) {
  EXPECT_TRUE(fix_acl({{0, kAnyone}}, {}));
  EXPECT_TRUE(fix_acl({{31, kAnyone}}, {}));
  EXPECT_EQ(fix_acl({{32, kAnyone}}, {}), std::nullopt);
  EXPECT_EQ(fix_acl({{-1, kAnyone}}, {}), std::nullopt);
  EXPECT_EQ(fix_acl({{64 | 1, kAnyone}}, {}), std::nullopt);
}

TEST(VoleryAcl, fixAcl_refusesAnExpansionBeyondTheLimit) {
  std::vector<Id> session;
  for (int i = 0; i < 64; ++i) session.push_back(digest("u" + std::to_string(i) + ":pw"));
  EXPECT_EQ(fix_acl({{perms::all, Id{"auth", ""}}}, session)->size(), 64u);
  EXPECT_EQ(fix_acl({{perms::all, Id{"auth", ""}}, {perms::all, kAnyone}}, session), std::nullopt);
  EXPECT_EQ(fix_acl({{perms::read, Id{"auth", ""}}, {perms::write, Id{"auth", ""}}}, session), std::nullopt);
}

// --- permitted ---

TEST(VoleryAcl, permitted_anEmptyAclPermitsEverything) {
  EXPECT_TRUE(permitted({}, perms::admin, {}));
  EXPECT_TRUE(permitted({}, perms::all, {}));
}

TEST(VoleryAcl, permitted_worldAnyoneMatchesEveryone) {
  EXPECT_TRUE(permitted(open_acl(), perms::read, {}));
  EXPECT_TRUE(permitted({{perms::read, kAnyone}}, perms::read, {digest("a:b")}));
  EXPECT_FALSE(permitted({{perms::read, kAnyone}}, perms::write, {}));
  EXPECT_FALSE(permitted({{0, kAnyone}}, perms::read, {}));
}

TEST(VoleryAcl, permitted_digestMatchesTheIdenticalIdentity) {
  const std::vector<Acl> acl{{perms::read | perms::write, digest("alice:pw")}};
  EXPECT_TRUE(permitted(acl, perms::read, {digest("alice:pw")}));
  EXPECT_TRUE(permitted(acl, perms::write, {Id{"ip", "1.2.3.4"}, digest("alice:pw")}));
  EXPECT_FALSE(permitted(acl, perms::admin, {digest("alice:pw")}));
  EXPECT_FALSE(permitted(acl, perms::read, {digest("alice:wrong")}));
  EXPECT_FALSE(permitted(acl, perms::read, {}));
  EXPECT_FALSE(permitted(acl, perms::read, {Id{"other", digest_id("alice:pw")}}));
}

TEST(VoleryAcl, permitted_anyWantedBitIsEnough) {
  // As checkACL: (perms & wanted) != 0.
  EXPECT_TRUE(permitted({{perms::read, kAnyone}}, perms::read | perms::write, {}));
  EXPECT_TRUE(permitted({{perms::remove, kAnyone}, {perms::create, kAnyone}}, perms::create, {}));
}

TEST(VoleryAcl, permitted_otherSchemesMatchNobody) {
  EXPECT_FALSE(permitted({{perms::all, Id{"ip", "127.0.0.1"}}}, perms::read, {Id{"ip", "127.0.0.1"}}));
  EXPECT_FALSE(permitted({{perms::all, Id{"world", "someone"}}}, perms::read, {Id{"world", "someone"}}));
}

// --- redact_digests ---

TEST(VoleryAcl, redactDigests_hidesEveryHash) {
  const std::vector<Acl> acl{{perms::all, digest("super:admin")},
                             {perms::read, kAnyone},
                             {perms::read, Id{"digest", "u:h:more"}},
                             {perms::read, Id{"digest", "nocolon"}},
                             {perms::read, Id{"digest", ":h"}}};
  EXPECT_THAT(redact_digests(acl), ElementsAre(Acl{31, Id{"digest", "super:x"}}, Acl{1, kAnyone},
                                               Acl{1, Id{"digest", "u:x"}}, Acl{1, Id{"digest", "nocolon"}},
                                               Acl{1, Id{"digest", ":x"}}));
  EXPECT_TRUE(redact_digests({}).empty());
}

}  // namespace
}  // namespace eyrie::volery
