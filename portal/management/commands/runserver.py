"""``manage.py runserver`` (what ``make run`` starts) on a server whose connections send at once.

The staticfiles app's command, with ``portal.devserver.NoDelayWSGIServer`` as its server; the
``portal`` app is listed before ``django.contrib.staticfiles`` so that this command is the one found.
"""

from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver

from portal.devserver import NoDelayWSGIServer


class Command(StaticfilesRunserver):
    server_cls = NoDelayWSGIServer
