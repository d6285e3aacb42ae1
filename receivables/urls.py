from .views import cash, collections

app_name = "receivables"
urlpatterns = [*collections.urlpatterns, *cash.urlpatterns]
