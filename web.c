/*
 * web.c - the operator's web view (issue 24; Ze's /l2tp pages), served by
 * the metrics HTTP server (metrics.c) under /l2tp when web_enabled is set.
 *
 * State owned: the users file pointer (the CLI's, reloaded in place).
 *
 * Every request is authenticated with HTTP Basic against the CLI's users
 * file (users_check, the same crypt() check as the CLI login).  Pages:
 *   GET  /l2tp                              the page (HTML, script inline,
 *                                           no external resource)
 *   GET  /l2tp/api/sessions                 session list (JSON)
 *   GET  /l2tp/api/session/ID               one session and its events;
 *                                           also after it ended
 *   GET  /l2tp/api/session/ID/quality       its login's CQM buckets (JSON
 *                                           columns), .../quality.csv
 *   POST /l2tp/api/session/ID/disconnect    body = the reason (text);
 *                                           needs the X-L2TPNS header (a
 *                                           cross-site form cannot send it)
 * The disconnect is the CLI's drop session: LCP Terminate-Request, CDN
 * result 3 with the reason, Acct-Terminate-Cause Admin-Reset, the actor
 * "web" and the user and reason in the event ring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "l2tpns.h"
#include "auth.h"
#include "cqm.h"
#include "event.h"
#include "evring.h"
#include "log.h"
#include "metrics.h"
#include "web.h"

#define REALM	"l2tpns"

static const struct users *users;

void
web_set_users(const struct users *u)
{
	users = u;
}

static void
json_str(struct mbuf *b, const char *s)
{
	mbuf_printf(b, "\"");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			mbuf_printf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			mbuf_printf(b, "\\u%04x", ch);
		else
			mbuf_printf(b, "%c", ch);
	}
	mbuf_printf(b, "\"");
}

static enum MHD_Result
send_buf(struct MHD_Connection *c, unsigned status, const char *type,
    struct mbuf *b)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (b->err) {
		mbuf_free(b);
		return MHD_NO;
	}
	r = MHD_create_response_from_buffer(b->len, b->p ? b->p : (char *)"",
	    b->p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		mbuf_free(b);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'self'; script-src 'unsafe-inline' 'self'; "
	    "style-src 'unsafe-inline'");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct mbuf b;

	memset(&b, 0, sizeof(b));
	mbuf_printf(&b, "%s\n", text);
	return send_buf(c, status, "text/plain; charset=utf-8", &b);
}

/* HTTP Basic against the users file; the user name in `who`, or 0. */
static int
authenticated(struct MHD_Connection *c, char *who, size_t len)
{
	char *pass = NULL, *user;
	int ok;

	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = user != NULL && pass != NULL && users != NULL &&
	    users_check(users, user, pass);
	if (ok)
		snprintf(who, len, "%s", user);
	else if (user != NULL)
		log_warnx("web: login refused for \"%.64s\"", user);
	free(user);
	free(pass);
	return ok;
}

/* ---- JSON ---- */

static void
session_obj(struct mbuf *b, sid_t i, const struct session *sp)
{
	const struct tunnel *tp = tunnel_get(sp->tunnel);
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sp->ip, ip, sizeof(ip));
	mbuf_printf(b, "{\"sid\":%u,\"tid\":%u,\"user\":", i, sp->tunnel);
	json_str(b, sp->user);
	mbuf_printf(b, ",\"ip\":\"%s\",\"lac\":", sp->ip ? ip : "");
	json_str(b, tp ? tp->hostname : "");
	mbuf_printf(b, ",\"calling\":");
	json_str(b, sp->calling);
	mbuf_printf(b, ",\"phase\":\"%s\",\"uptime\":%ld,\"idle\":%ld,"
	    "\"rx_bytes\":%llu,\"tx_bytes\":%llu,\"throttle\":%s,"
	    "\"rate_in\":%u,\"rate_out\":%u,\"intercept\":%s}",
	    ppp_phase_name(sp->phase), (long)(time_now - sp->opened),
	    (long)(time_now - sp->last_packet), (unsigned long long)sp->cin,
	    (unsigned long long)sp->cout, sp->throttle ? "true" : "false",
	    sp->rate_in, sp->rate_out, sp->intercept ? "true" : "false");
}

static enum MHD_Result
api_sessions(struct MHD_Connection *c)
{
	struct mbuf b;
	uint32_t i;
	int n = 0;

	memset(&b, 0, sizeof(b));
	mbuf_printf(&b, "{\"sessions\":[");
	for (i = 1; i <= tables->max_sessions &&
	    (uint32_t)n < tables->sessions_used; i++) {
		const struct session *sp = &tables->session[i];

		if (sp->state == SESSION_FREE)
			continue;
		if (n++)
			mbuf_printf(&b, ",");
		session_obj(&b, i, sp);
	}
	mbuf_printf(&b, "]}");
	return send_buf(c, MHD_HTTP_OK, "application/json", &b);
}

static enum MHD_Result
api_session(struct MHD_Connection *c, sid_t s)
{
	struct sev ev[EVRING_SIZE];
	const struct session *sp = session_get(s);
	char user[MAXUSER];
	struct mbuf b;
	int i, nev = evring_read(s, user, sizeof(user), ev);
	int live = sp != NULL && sp->state != SESSION_FREE;

	if (nev < 0 || (!live && nev == 0))
		return send_text(c, MHD_HTTP_NOT_FOUND, "no such session");
	memset(&b, 0, sizeof(b));
	mbuf_printf(&b, "{\"sid\":%u,\"ended\":%s,\"user\":", s,
	    live ? "false" : "true");
	json_str(&b, live ? sp->user : user);
	mbuf_printf(&b, ",\"session\":");
	if (live)
		session_obj(&b, s, sp);
	else
		mbuf_printf(&b, "null");
	mbuf_printf(&b, ",\"events\":[");
	for (i = 0; i < nev; i++) {
		const struct sev *e = &ev[i];

		mbuf_printf(&b, "%s{\"time\":%u.%03u,\"event\":\"%s\","
		    "\"actor\":\"%s\",\"cause\":%u,\"text\":",
		    i > 0 ? "," : "", e->t_s, e->t_ms, sev_type_name(e->type),
		    sev_actor_name(e->actor), e->cause);
		json_str(&b, e->text);
		mbuf_printf(&b, "}");
	}
	mbuf_printf(&b, "]}");
	return send_buf(c, MHD_HTTP_OK, "application/json", &b);
}

static void
to_mbuf(void *arg, const char *line)
{
	mbuf_printf(arg, "%s\n", line);
}

static enum MHD_Result
api_quality(struct MHD_Connection *c, sid_t s, int csv)
{
	struct sev ev[EVRING_SIZE];
	const struct session *sp = session_get(s);
	const struct cqm_login *l;
	char user[MAXUSER];
	struct mbuf b;

	l = cqm_find(sp && sp->state != SESSION_FREE && sp->user[0] ?
	    sp->user : evring_read(s, user, sizeof(user), ev) >= 0 ? user :
	    NULL);
	memset(&b, 0, sizeof(b));
	if (l == NULL) {
		/* No history yet: empty columns, the chart draws nothing. */
		mbuf_printf(&b, csv ? "time,sent,answered,lost,loss,rtt_min_ms,"
		    "rtt_avg_ms,rtt_max_ms,state\n" : "{\"user\":\"\","
		    "\"bucket_seconds\":%d,\"time\":[],\"sent\":[],\"lost\":[],"
		    "\"loss\":[],\"rtt_min_ms\":[],\"rtt_avg_ms\":[],"
		    "\"rtt_max_ms\":[],\"state\":[]}\n", CQM_BUCKET_S);
	} else
		cqm_format(l, time_now, csv ? CQM_CSV : CQM_JSON, to_mbuf, &b);
	return send_buf(c, MHD_HTTP_OK, csv ? "text/csv; charset=utf-8" :
	    "application/json", &b);
}

static enum MHD_Result
api_disconnect(struct MHD_Connection *c, sid_t s, const char *who,
    const char *body, size_t len)
{
	const struct session *sp = session_get(s);
	char reason[128], why[200], ev[EVRING_TEXT];
	size_t i, o = 0;

	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-L2TPNS") ==
	    NULL)
		return send_text(c, MHD_HTTP_FORBIDDEN, "missing X-L2TPNS "
		    "header");
	if (sp == NULL || sp->state == SESSION_FREE)
		return send_text(c, MHD_HTTP_NOT_FOUND, "no such session");
	/* The reason: printable characters only, as the CLI's. */
	for (i = 0; body != NULL && i < len && o < sizeof(reason) - 1; i++)
		if ((unsigned char)body[i] >= 0x20 && body[i] != 0x7f)
			reason[o++] = body[i];
	reason[o] = '\0';
	snprintf(why, sizeof(why), "dropped from the web%s%s", o ? ": " : "",
	    reason);
	snprintf(ev, sizeof(ev), "%.30s: %.50s", who, o ? reason : "dropped");
	LOG(LOG_WARN_L, s, sp->tunnel, "session dropped from the web by %s: "
	    "%s", who, why);
	evring_teardown(s, SEA_WEB, TERM_ADMIN_RESET, ev);
	session_shutdown_cause(s, TERM_ADMIN_RESET, why);
	return send_text(c, MHD_HTTP_OK, "dropped");
}

/* ---- the page ---- */

static const char page[] =
"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
"<title>l2tpns sessions</title><style>"
"body{font-family:sans-serif;margin:1em;color:#222}"
"table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px "
"solid #ddd;text-align:left}th{cursor:pointer;background:#eee}"
"tr.s:hover{background:#f4f4ff;cursor:pointer}#detail{display:none}"
"canvas{border:1px solid #ccc}.err{color:#b00}"
"</style></head><body>\n"
"<h1>l2tpns</h1>\n"
"<div id=\"list\"><h2>Sessions (<span id=\"count\">0</span>)</h2>"
"<table id=\"sessions\"><thead><tr>"
"<th data-k=\"sid\">SID</th><th data-k=\"user\">User</th>"
"<th data-k=\"ip\">IP</th><th data-k=\"lac\">LAC</th>"
"<th data-k=\"phase\">Phase</th><th data-k=\"uptime\">Up (s)</th>"
"<th data-k=\"rx_bytes\">In</th><th data-k=\"tx_bytes\">Out</th>"
"</tr></thead><tbody></tbody></table></div>\n"
"<div id=\"detail\"><p><a href=\"#\" id=\"back\">&larr; sessions</a></p>"
"<h2>Session <span id=\"dsid\"></span> (<span id=\"duser\"></span>)"
"<span id=\"dended\"></span></h2>"
"<pre id=\"dinfo\"></pre>"
"<h3>Call quality (LCP echo RTT, ms; loss in red)</h3>"
"<canvas id=\"chart\" width=\"720\" height=\"220\"></canvas>"
"<p id=\"qsum\"></p>"
"<h3>Events</h3><table id=\"events\"><thead><tr><th>Time (UTC)</th>"
"<th>Event</th><th>Actor</th><th>Cause</th><th>Detail</th></tr></thead>"
"<tbody></tbody></table>"
"<h3>Disconnect</h3><form id=\"drop\"><input id=\"reason\" size=\"50\" "
"placeholder=\"reason\"> <button id=\"dropbtn\">Disconnect</button> "
"<span id=\"dropres\"></span></form></div>\n"
"<script>\n"
"'use strict';\n"
"let rows=[],sortKey='sid',sortDir=1,cur=0;\n"
"window.chartData=null;\n"
"function el(t,x){const e=document.createElement(t);e.textContent=x;"
"return e;}\n"
"async function get(u){const r=await fetch(u,{credentials:'same-origin'});"
"if(!r.ok)throw new Error(u+': '+r.status);return r.json();}\n"
"function drawList(){const tb=document.querySelector('#sessions tbody');"
"tb.textContent='';rows.sort((a,b)=>(a[sortKey]>b[sortKey]?1:"
"a[sortKey]<b[sortKey]?-1:0)*sortDir);for(const s of rows){"
"const tr=document.createElement('tr');tr.className='s';"
"tr.dataset.sid=s.sid;for(const k of ['sid','user','ip','lac','phase',"
"'uptime','rx_bytes','tx_bytes'])tr.appendChild(el('td',s[k]));"
"tr.onclick=()=>{location.hash='#'+s.sid;};tb.appendChild(tr);}"
"document.getElementById('count').textContent=rows.length;}\n"
"async function loadList(){rows=(await get('/l2tp/api/sessions'))."
"sessions;drawList();}\n"
"document.querySelectorAll('#sessions th').forEach(th=>{th.onclick=()=>{"
"const k=th.dataset.k;sortDir=k===sortKey?-sortDir:1;sortKey=k;"
"drawList();};});\n"
"function drawChart(q){window.chartData=q;const c=document."
"getElementById('chart'),g=c.getContext('2d'),W=c.width,H=c.height;"
"g.clearRect(0,0,W,H);const n=q.time.length;"
"document.getElementById('qsum').textContent=n+' buckets of '+"
"q.bucket_seconds+' s';if(!n)return;"
"const t0=q.time[0],t1=q.time[n-1]+q.bucket_seconds;"
"let m=1;for(const v of q.rtt_max_ms)if(v!==null&&v>m)m=v;"
"const X=t=>40+(W-50)*(t-t0)/(t1-t0),Y=v=>H-20-(H-30)*v/m;"
"g.fillStyle='#000';g.fillText(m.toFixed(1)+' ms',2,12);"
"g.fillText('0',2,H-20);"
"for(let i=0;i<n;i++){const x=X(q.time[i]),w=Math.max(2,X(q.time[i]+"
"q.bucket_seconds)-x-1);g.fillStyle='rgba(200,0,0,0.5)';"
"g.fillRect(x,H-20-(H-30)*q.loss[i],w,(H-30)*q.loss[i]);"
"if(q.rtt_avg_ms[i]===null)continue;g.fillStyle='rgba(0,0,200,0.2)';"
"g.fillRect(x,Y(q.rtt_max_ms[i]),w,Y(q.rtt_min_ms[i])-Y(q.rtt_max_ms[i])"
"+1);g.fillStyle='#00c';g.fillRect(x,Y(q.rtt_avg_ms[i])-1,w,3);}}\n"
"async function loadDetail(sid){cur=sid;const d=await get("
"'/l2tp/api/session/'+sid);document.getElementById('dsid').textContent="
"sid;document.getElementById('duser').textContent=d.user;"
"document.getElementById('dended').textContent=d.ended?' ended':'';"
"document.getElementById('dinfo').textContent=d.session?JSON.stringify("
"d.session,null,1):'';const tb=document.querySelector('#events tbody');"
"tb.textContent='';for(const e of d.events){const tr=document."
"createElement('tr');tr.className='ev';tr.appendChild(el('td',new Date("
"e.time*1000).toISOString().replace('T',' ').replace('Z','')));"
"for(const k of ['event','actor'])tr.appendChild(el('td',e[k]));"
"tr.appendChild(el('td',e.cause||'-'));tr.appendChild(el('td',e.text));"
"tb.appendChild(tr);}drawChart(await get('/l2tp/api/session/'+sid+"
"'/quality'));}\n"
"document.getElementById('drop').onsubmit=async ev=>{ev.preventDefault();"
"const r=await fetch('/l2tp/api/session/'+cur+'/disconnect',{method:"
"'POST',headers:{'X-L2TPNS':'1'},body:document.getElementById('reason')."
"value,credentials:'same-origin'});document.getElementById('dropres')."
"textContent=r.ok?'dropped':'failed: '+r.status;"
"setTimeout(()=>loadDetail(cur),1500);};\n"
"async function route(){const sid=parseInt(location.hash.slice(1));"
"const det=sid>0;document.getElementById('list').style.display=det?"
"'none':'';document.getElementById('detail').style.display=det?'block':"
"'none';try{if(det)await loadDetail(sid);else await loadList();"
"document.body.dataset.ready=location.hash||'#';}catch(e){document.body."
"appendChild(el('p',String(e))).className='err';}}\n"
"window.onhashchange=route;document.getElementById('back').onclick=e=>{"
"e.preventDefault();location.hash='';};route();\n"
"</script></body></html>\n";

enum MHD_Result
web_request(struct MHD_Connection *c, const char *url, const char *method,
    const char *body, size_t body_len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char who[MAXUSER], tail[32];
	unsigned long id;
	int post = strcmp(method, "POST") == 0;
	int n = 0;

	if (!authenticated(c, who, sizeof(who))) {
		static char deny[] = "authentication required\n";

		r = MHD_create_response_from_buffer(sizeof(deny) - 1, deny,
		    MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		ret = MHD_queue_basic_auth_fail_response(c, REALM, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/l2tp") == 0 || strcmp(url, "/l2tp/") == 0) {
		struct mbuf b;

		if (post)
			return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET");
		memset(&b, 0, sizeof(b));
		mbuf_printf(&b, "%s", page);
		return send_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8", &b);
	}
	if (strcmp(url, "/l2tp/api/sessions") == 0 && !post)
		return api_sessions(c);
	tail[0] = '\0';
	if (sscanf(url, "/l2tp/api/session/%lu%n", &id, &n) < 1 || id == 0 ||
	    id > tables->max_sessions)
		return send_text(c, MHD_HTTP_NOT_FOUND, "not found");
	snprintf(tail, sizeof(tail), "%s", url + n);
	if (tail[0] == '\0' && !post)
		return api_session(c, (sid_t)id);
	if (strcmp(tail, "/quality") == 0 && !post)
		return api_quality(c, (sid_t)id, 0);
	if (strcmp(tail, "/quality.csv") == 0 && !post)
		return api_quality(c, (sid_t)id, 1);
	if (strcmp(tail, "/disconnect") == 0 && post)
		return api_disconnect(c, (sid_t)id, who, body, body_len);
	return send_text(c, MHD_HTTP_NOT_FOUND, "not found");
}
