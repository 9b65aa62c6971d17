"""The supervisor's console under /ui: server-rendered pages, htmx fragments, live board by SSE."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from wms.web.live import Hub, channels_plugin

HERE = Path(__file__).parent


class ConsolePlugin(InitPluginProtocol):
    """Adds the console's routes, its templates and the live hub (the JSON reports the
    same queries give are the API's own: wms/api/reports.py)."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        from wms.web.admin import ADMIN_PAGES
        from wms.web.controllers import ROUTES
        from wms.web.margins import ROUTES as MARGINS

        app_config.route_handlers.extend([*ROUTES, *MARGINS, ADMIN_PAGES])
        app_config.template_config = TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine
        )
        app_config.on_startup.append(_start)
        app_config.on_shutdown.append(_stop)
        return app_config


async def _start(app: Litestar) -> None:
    app.state.console_hub = hub = Hub(app)
    await hub.start()


async def _stop(app: Litestar) -> None:
    hub = getattr(app.state, "console_hub", None)
    if hub is not None:
        await hub.stop()


def plugins(database_url: str) -> list[object]:
    """The app's plugins for the console: the channels fan-out, then the console itself."""
    return [channels_plugin(database_url), ConsolePlugin()]
