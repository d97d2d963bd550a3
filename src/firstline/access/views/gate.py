"""The guard's phone page: check people in and out at the gate.

The page renders the site, its checkpoints and the words the script shows;
everything a check-in does happens in the browser (static access/gate.js) against
the JSON API, so the same path keeps working when the connection drops: each event
is queued in the browser with its client UUID before it is sent, and replayed
later if the send fails (the server ignores a UUID it already stored).
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic

from firstline.access.models import Checkpoint, Decision, Direction
from firstline.access.services.decision import CREDENTIAL_REASONS, CredentialStatus
from firstline.core.views import ScopedViewMixin
from firstline.estates.models import Site

MAX_SITES = 200  # the chooser of a company admin; guards have one site
QUICK_TEMPERATURES = ("36.3", "36.5", "36.8", "37.0")
TEMPERATURE_RANGE = ("34.0", "43.0")  # outside this a reading is a typo or a faulty thermometer

# What the offline pass check can say of a pass that does not hold, in the gate's words.
OFFLINE_STATUSES = (
    CredentialStatus.UNKNOWN,
    CredentialStatus.OTHER_SITE,
    CredentialStatus.NOT_YET_VALID,
    CredentialStatus.EXPIRED,
    CredentialStatus.REVOKED,
)

# Words the script puts on the page; %(n)s and %(error)s are filled in there.
SCRIPT_STRINGS = {
    "admit": Decision.ADMIT.label,
    "deny": Decision.DENY.label,
    "refer": Decision.REFER.label,
    "in": Direction.IN.label,
    "out": Direction.OUT.label,
    "pending": _("正在核验…"),
    "queued": _("未联网，已暂存，请人工核验"),
    "queued_hint": _("恢复网络后自动上传，核验结果会出现在“本机最近记录”中。"),
    "auth": _("登录已失效：已暂存，请重新登录后自动上传，现请人工核验"),
    "rejected": _("服务器未接受此记录，请人工核验"),
    "storage_failed": _("本机无法暂存此记录，未上传，请人工核验并登记"),
    "replayed": _("补传结果"),
    # The offline check of a scanned pass (access/pass-check.js).
    "offline_pass": _("离线核验：%(reason)s"),
    "offline_pass_valid": _("通行证有效（签名、有效期、注销名单）；健康状态和外出次数待联网后核验"),
    "offline_pass_synced": _("注销名单更新于 %(at)s"),
    "offline_pass_no_keys": _("本机还没有本项目的通行证公钥，无法离线核验"),
    "offline_pass_unknown_key": _("本机尚无此通行证的签名公钥（可能刚更换过），无法离线核验"),
    "offline_pass_unsupported": _("此浏览器不支持离线验签"),
    **{f"offline_pass_{status}": CREDENTIAL_REASONS[status] for status in OFFLINE_STATUSES},
    "queue_count": _("离线：%(n)s 条待上传"),
    "queue_item": _("待上传"),
    "online": _("在线"),
    "offline": _("离线"),
    "no_temperature": _("未测体温"),
    "unknown_person": _("未识别人员"),
    "scanned_pass": _("扫码通行证"),
    "no_match": _("没有找到匹配的居民"),
    "more_matches": _("匹配结果较多，只显示前 %(n)s 条，请输入更完整的房号或姓名"),
    "search_failed": _("查询失败，请检查网络；可改用扫码，或人工核验"),
    "searching": _("正在查询…"),
    "temperature_invalid": _("体温应在 %(min)s–%(max)s ℃ 之间"),
    "camera_failed": _("无法打开摄像头（%(error)s），可改用“拍照识别”或查询"),
    "camera_denied": _("未获准使用摄像头，请在浏览器设置中允许，或改用“拍照识别”或查询"),
    "camera_missing": _("没有找到摄像头，请改用“拍照识别”或查询"),
    "camera_insecure": _("浏览器只在 HTTPS 下开放摄像头，请改用“拍照识别”或查询"),
    "scanner_loading": _("扫码组件加载中，请稍候再试"),
    "photo_failed": _("照片中没有识别到二维码，请重拍"),
    "history_empty": _("本机暂无记录"),
    "last_value": _("上次"),
    "unit_suffix": _("单元"),
}


class GatePage(ScopedViewMixin, generic.TemplateView):
    """One site's gate page. Without a site id: the only site in scope, or a chooser."""

    model = Site
    permission = "access.check_in"
    template_name = "access/gate.html"

    def get(self, request, *args, site_id: int | None = None, **kwargs):
        sites = self.get_queryset()
        if site_id is not None:
            site = sites.filter(pk=site_id).first()
            if site is None:
                raise Http404
            return self.render_site(site, multiple=sites.exclude(pk=site.pk).exists())
        first_two = list(sites[:2])
        if len(first_two) == 1:  # a guard of one site goes straight to it
            return self.render_site(first_two[0], multiple=False)
        return self.render_to_response(
            self.get_context_data(site=None, sites=sites.only("id", "name")[:MAX_SITES])
        )

    def render_site(self, site: Site, *, multiple: bool):
        checkpoints = list(
            Checkpoint.objects.for_scope(self.scope).filter(
                site=site, kind=Checkpoint.Kind.PEDESTRIAN
            )
        )
        return self.render_to_response(
            self.get_context_data(
                site=site,
                checkpoints=checkpoints,
                multiple_sites=multiple,
                directions=Direction.choices,
                quick_temperatures=QUICK_TEMPERATURES,
                temperature_range=TEMPERATURE_RANGE,
                api_root=reverse("api:api-root"),
                strings=SCRIPT_STRINGS,
            )
        )
