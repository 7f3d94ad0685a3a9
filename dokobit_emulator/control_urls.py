from django.urls import path

from dokobit_emulator import control_views

urlpatterns = [
    path("faults", control_views.faults_view, name="control-faults"),
]
