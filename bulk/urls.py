from django.urls import path

from bulk import bulk_views, template_views

app_name = "bulk"
urlpatterns = [
    path("templates/", template_views.template_list, name="template-list"),
    path("templates/new/", template_views.template_new, name="template-new"),
    path("templates/<uuid:uuid>/edit/", template_views.template_edit, name="template-edit"),
    path("templates/<uuid:uuid>/use/", template_views.template_use_view, name="template-use"),
    path("templates/<uuid:uuid>/delete/", template_views.template_delete_view, name="template-delete"),
    path("bulk/", bulk_views.bulk_list, name="bulk-list"),
    path("bulk/new/", bulk_views.bulk_new, name="bulk-new"),
    path("bulk/<uuid:uuid>/", bulk_views.bulk_progress_view, name="bulk-progress"),
    path("bulk/<uuid:uuid>/csv/", bulk_views.bulk_csv, name="bulk-csv"),
    path("bulk/<uuid:uuid>/progress.json", bulk_views.bulk_progress_json, name="bulk-progress-json"),
    path("bulk/<uuid:uuid>/summary/", bulk_views.bulk_summary, name="bulk-summary"),
    path("bulk/<uuid:uuid>/retry/", bulk_views.bulk_retry, name="bulk-retry"),
]
