/* frost_session.c - a FROST signing session over the framed transport: the
 * first request a participant reads, the coordinator's two rounds with
 * aggregation and verification, and the participant's one commitment and
 * one signature share per session (the nonce lives in secmem only). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secretctl/buf.h"
#include "secretctl/frost_session.h"
#include "secretctl/secmem.h"

#define REQUEST_MAX (SC_FROST_SESSION_LEN + 6 + 1 + SC_FROST_NAME_MAX + SC_FROST_POINT_LEN)

static int put_name(struct sc_buf *b, const char *name)
{
	size_t n = strlen(name);

	(void)sc_buf_put_u8(b, (uint8_t)n);
	return sc_buf_put(b, name, n);
}

static int get_name(struct sc_buf *b, char out[SC_FROST_NAME_MAX + 1])
{
	uint8_t n;

	if (sc_buf_get_u8(b, &n) != SC_OK || n > SC_FROST_NAME_MAX ||
	    sc_buf_get(b, out, n) != SC_OK)
		return SC_ERR_CORRUPT;
	out[n] = '\0';
	return sc_frost_name_valid(out) ? SC_OK : SC_ERR_CORRUPT;
}

int sc_frost_request_recv(struct sc_frost_peer *p, struct sc_frost_request *req)
{
	static const uint8_t want[] = {SC_FROST_F_KG_BEGIN, SC_FROST_F_SP_BEGIN,
	                               SC_FROST_F_SG_BEGIN};
	struct sc_buf b;
	uint8_t *pl = NULL;
	size_t len;
	int r;

	memset(req, 0, sizeof(*req));
	if ((r = sc_frost_frame_recv(p, want, 3, REQUEST_MAX, 0, &req->type, &pl, &len)) != SC_OK)
		return r;
	sc_buf_init_reader(&b, pl, len);
	if (req->type == SC_FROST_F_KG_BEGIN || req->type == SC_FROST_F_SP_BEGIN) {
		r = sc_buf_get(&b, req->session, SC_FROST_SESSION_LEN);
		if (r == SC_OK && (r = sc_buf_get_u16(&b, &req->id)) == SC_OK &&
		    (r = sc_buf_get_u16(&b, &req->min)) == SC_OK)
			r = sc_buf_get_u16(&b, &req->max);
		if (r == SC_OK)
			r = get_name(&b, req->group);
		if (r == SC_OK && (req->min < 2 || req->min > req->max || req->id < 1 ||
		                   req->id > req->max || req->max > SC_FROST_MAX_PARTICIPANTS))
			r = SC_ERR_CORRUPT;
	} else {
		r = get_name(&b, req->group);
		if (r == SC_OK)
			r = sc_buf_get(&b, req->group_key, SC_FROST_POINT_LEN);
		if (r == SC_OK)
			r = sc_buf_get_u16(&b, &req->id);
		if (r == SC_OK && req->id < 1)
			r = SC_ERR_CORRUPT;
	}
	if (r == SC_OK && sc_buf_left(&b) != 0)
		r = SC_ERR_CORRUPT;
	free(pl);
	if (r != SC_OK) {
		sc_set_error("a malformed request");
		return SC_ERR_CORRUPT;
	}
	return SC_OK;
}

/* ---- the coordinator ------------------------------------------------------ */

static int send_begin(struct sc_frost_peer *p, const char *group, const uint8_t *gk, uint16_t id)
{
	uint8_t mem[REQUEST_MAX];
	struct sc_buf b;

	sc_buf_init_fixed(&b, mem, sizeof(mem));
	(void)put_name(&b, group);
	(void)sc_buf_put(&b, gk, SC_FROST_POINT_LEN);
	(void)sc_buf_put_u16(&b, id);
	if (sc_buf_status(&b) != SC_OK)
		return SC_ERR_INTERNAL;
	return sc_frost_frame_send(p, SC_FROST_F_SG_BEGIN, mem, b.len);
}

static int recv_fixed(struct sc_frost_peer *p, uint8_t type, size_t want_len, uint8_t *out)
{
	uint8_t *pl = NULL, got;
	size_t len;
	int r;

	if ((r = sc_frost_frame_recv(p, &type, 1, want_len, 0, &got, &pl, &len)) != SC_OK)
		return r;
	if (len != want_len) {
		sc_set_error("a frame of the wrong size");
		r = SC_ERR_CORRUPT;
	} else {
		memcpy(out, pl, len);
	}
	free(pl);
	return r;
}

int sc_frost_sign_coordinate(struct sc_frost_peer *peers, const uint16_t *ids, size_t n,
                             const char *group, const struct sc_frost_pubkeys *pub,
                             const uint8_t *msg, size_t msg_len, uint8_t sig[SC_FROST_SIG_LEN],
                             size_t *culprit)
{
	const uint8_t *gk = sc_frost_pubkeys_group_key(pub);
	struct sc_frost_commitment *cm = NULL;
	struct sc_frost_sig_share *sh = NULL;
	struct sc_frost_signing_package *pkg = NULL;
	uint8_t *enc = NULL, wire[SC_FROST_COMMITMENT_WIRE_LEN];
	size_t i, enc_len = 0;
	uint16_t bad = 0;
	int r;

	*culprit = 0;
	if (n < sc_frost_pubkeys_min(pub) || n > sc_frost_pubkeys_max(pub)) {
		sc_set_error("%zu signers for a %u-of-%u group", n, sc_frost_pubkeys_min(pub),
		             sc_frost_pubkeys_max(pub));
		return SC_ERR_INVALID;
	}
	if ((cm = calloc(n, sizeof(*cm))) == NULL || (sh = calloc(n, sizeof(*sh))) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = send_begin(&peers[i], group, gk, ids[i])) != SC_OK)
			goto peer;
	for (i = 0; i < n; i++) {
		if ((r = recv_fixed(&peers[i], SC_FROST_F_SG_COMMIT, sizeof(wire), wire)) != SC_OK)
			goto peer;
		if ((r = sc_frost_commitment_decode(wire, sizeof(wire), &cm[i])) != SC_OK ||
		    cm[i].id != ids[i]) {
			sc_set_error("a malformed commitment, or one for another identifier");
			r = SC_ERR_CORRUPT;
			goto peer;
		}
	}
	if ((r = sc_frost_signing_package_new(gk, cm, n, msg, msg_len, &pkg)) != SC_OK)
		goto out;
	enc_len = sc_frost_signing_package_wire_len(pkg);
	if ((enc = malloc(enc_len)) == NULL) {
		r = SC_ERR_NOMEM;
		goto out;
	}
	if ((r = sc_frost_signing_package_encode(pkg, enc, enc_len, &enc_len)) != SC_OK)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = sc_frost_frame_send(&peers[i], SC_FROST_F_SG_PACKAGE, enc, enc_len)) !=
		    SC_OK)
			goto peer;
	for (i = 0; i < n; i++) {
		uint8_t sw[SC_FROST_SIG_SHARE_WIRE_LEN];

		if ((r = recv_fixed(&peers[i], SC_FROST_F_SG_SHARE, sizeof(sw), sw)) != SC_OK)
			goto peer;
		if ((r = sc_frost_sig_share_decode(sw, sizeof(sw), &sh[i])) != SC_OK ||
		    sh[i].id != ids[i]) {
			sc_set_error("a malformed signature share, or one for another identifier");
			r = SC_ERR_CORRUPT;
			goto peer;
		}
	}
	/* aggregate verifies the signature under the group key; when it does
	 * not verify it checks every share and names the bad one */
	r = sc_frost_aggregate(pub, pkg, sh, n, sig, &bad);
	if (r != SC_OK && bad != 0) {
		for (i = 0; i < n; i++)
			if (ids[i] == bad)
				*culprit = i + 1;
		sc_set_error("its signature share does not verify");
	}
	goto out;
peer:
	*culprit = i + 1;
out:
	free(enc);
	free(cm);
	free(sh);
	sc_frost_signing_package_free(pkg);
	return r;
}

/* ---- the participant ------------------------------------------------------ */

int sc_frost_sign_participate(struct sc_frost_peer *coord, const struct sc_frost_request *req,
                              const struct sc_frost_key_package *kp,
                              int (*confirm)(void *arg, const struct sc_frost_signing_package *pkg),
                              void *confirm_arg)
{
	static const uint8_t want_pkg = SC_FROST_F_SG_PACKAGE;
	struct sc_frost_nonce *nonce = NULL;
	struct sc_frost_signing_package *pkg = NULL;
	struct sc_frost_commitment cm;
	struct sc_frost_sig_share share;
	uint8_t cw[SC_FROST_COMMITMENT_WIRE_LEN], sw[SC_FROST_SIG_SHARE_WIRE_LEN], *pl = NULL, type;
	size_t len = 0;
	int r;

	if (req->type != SC_FROST_F_SG_BEGIN ||
	    sodium_memcmp(req->group_key, sc_frost_key_package_group_key(kp), SC_FROST_POINT_LEN) !=
	        0 ||
	    req->id != sc_frost_key_package_id(kp)) {
		sc_set_error("the request is for another group key or identifier");
		sc_frost_frame_refuse(coord, "another group key or identifier");
		return SC_ERR_DENIED;
	}
	if ((r = sc_frost_commit(kp, &nonce, &cm)) != SC_OK ||
	    (r = sc_frost_commitment_encode(&cm, cw)) != SC_OK)
		goto out;
	if ((r = sc_frost_frame_send(coord, SC_FROST_F_SG_COMMIT, cw, sizeof(cw))) != SC_OK)
		goto out;
	if ((r = sc_frost_frame_recv(coord, &want_pkg, 1, SC_FROST_FRAME_MAX, 0, &type, &pl,
	                             &len)) != SC_OK)
		goto out;
	if ((r = sc_frost_signing_package_decode(pl, len, &pkg)) != SC_OK) {
		sc_set_error("a malformed signing package");
		sc_frost_frame_refuse(coord, "a malformed signing package");
		goto out;
	}
	if (confirm != NULL && (r = confirm(confirm_arg, pkg)) != SC_OK) {
		sc_frost_frame_refuse(coord, "the participant declined");
		goto out;
	}
	/* the nonce is consumed here whatever the outcome: it can sign once */
	if ((r = sc_frost_sign(kp, &nonce, pkg, &share)) != SC_OK) {
		sc_frost_frame_refuse(coord, "the signing package does not hold our commitment");
		goto out;
	}
	if ((r = sc_frost_sig_share_encode(&share, sw)) != SC_OK ||
	    (r = sc_frost_frame_send(coord, SC_FROST_F_SG_SHARE, sw, sizeof(sw))) != SC_OK)
		goto out;
	free(pl);
	pl = NULL;
	/* one share per session: anything but the end of the session is refused */
	r = sc_frost_frame_recv(coord, &want_pkg, 1, SC_FROST_FRAME_MAX, 0, &type, &pl, &len);
	if (r == SC_ERR_NOT_FOUND) {
		r = SC_OK;
	} else {
		sc_set_error("a second request in one session (the nonce is spent)");
		sc_frost_frame_refuse(coord, "one signature per session: the nonce is spent");
		r = SC_ERR_DENIED;
	}
out:
	sc_frost_nonce_free(nonce);
	sc_frost_signing_package_free(pkg);
	free(pl);
	sc_wipe(&share, sizeof(share));
	return r;
}
